using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AspireSse.WebFrontend.Authorization;

/// <summary>
/// Authenticates a request that sends the configured key (<see cref="StreamAuthorizationOptions.ApiKey"/>)
/// in the <c>X-Api-Key</c> header. A real authentication scheme rather than a check in the endpoint,
/// so <c>.RequireAuthorization()</c>, the authorization middleware and everything else that looks
/// for authentication see it.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<StreamAuthorizationOptions> authorization)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var sent))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!Matches(sent.ToString(), authorization.Value.ApiKey))
        {
            return Task.FromResult(AuthenticateResult.Fail($"The {HeaderName} header does not carry the configured key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, SchemeName)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // A 401 must say how to authenticate (RFC 9110, WWW-Authenticate).
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        return base.HandleChallengeAsync(properties);
    }

    // Hashed first, so the comparison takes as long whatever the length and content of a guess:
    // its timing tells an attacker nothing about the key.
    private static bool Matches(string sent, string? key) =>
        key is not null && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(sent)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
