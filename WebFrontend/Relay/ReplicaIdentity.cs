namespace AspireSse.WebFrontend.Relay;

/// <summary>Which replica this process is, as shown to browsers and stamped on every relayed tick.</summary>
public sealed class ReplicaIdentity(string id)
{
    public string Id { get; } = id;

    /// <summary>
    /// <c>service.instance.id</c> from <c>OTEL_RESOURCE_ATTRIBUTES</c> (Aspire sets it
    /// per replica, so the page and the traces agree); otherwise machine name and process id.
    /// </summary>
    public static ReplicaIdentity FromEnvironment(string? resourceAttributes) =>
        new(FindAttribute(resourceAttributes, "service.instance.id")
            ?? $"{Environment.MachineName}-{Environment.ProcessId}");

    private static string? FindAttribute(string? attributes, string key)
    {
        if (string.IsNullOrEmpty(attributes))
        {
            return null;
        }

        // The OpenTelemetry format: comma-separated key=value pairs, values percent-encoded.
        foreach (var pair in attributes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && pair.AsSpan(0, separator).Trim().SequenceEqual(key))
            {
                var value = Uri.UnescapeDataString(pair[(separator + 1)..].Trim());
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }
}
