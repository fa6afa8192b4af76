using System.ComponentModel.DataAnnotations;

namespace AspireSse.WebFrontend.Authorization;

/// <summary>
/// The <c>StreamAuthorization</c> configuration section: an optional API key that <c>/events</c>
/// and <c>/events/stats</c> require. Off by default, so the page's EventSource (which cannot send headers) keeps working;
/// meant for clients that can, such as a proxy or a service in front of the replicas.
/// </summary>
public sealed class StreamAuthorizationOptions
{
    public const string SectionName = "StreamAuthorization";

    /// <summary>
    /// The key a client sends in the <c>X-Api-Key</c> header to open <c>/events</c> or read
    /// <c>/events/stats</c>; unset leaves both open to anyone.
    /// </summary>
    [MinLength(16, ErrorMessage = "StreamAuthorization:ApiKey must be at least 16 characters.")]
    public string? ApiKey { get; set; }

    public bool IsEnabled => !string.IsNullOrEmpty(ApiKey);
}
