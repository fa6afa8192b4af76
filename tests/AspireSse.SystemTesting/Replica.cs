namespace AspireSse.SystemTesting;

/// <summary>
/// One instance of a replicated project resource, as the dashboard lists it: its resource id
/// (<c>webfrontend-abcdwxyz</c>), the <c>service.instance.id</c> it reports (<c>abcdwxyz</c>, also the
/// <c>replica</c> of every SSE event) and its own URL, not the shared proxy's.
/// </summary>
public sealed record Replica(string ResourceName, string ResourceId, Uri Url)
{
    public string InstanceId => ResourceId.StartsWith(ResourceName + "-", StringComparison.Ordinal)
        ? ResourceId[(ResourceName.Length + 1)..]
        : ResourceId;
}
