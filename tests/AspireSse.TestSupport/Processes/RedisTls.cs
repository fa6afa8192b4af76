namespace AspireSse.TestSupport.Processes;

/// <summary>
/// PEM files that make redis-server accept TLS only, as Aspire 13.1+ runs its Redis container when a
/// developer certificate is trusted. The certificate must name <c>localhost</c>: that is the host the
/// connection string names, as Aspire's does.
/// </summary>
public sealed record RedisTls(string CertificateFile, string KeyFile, string CaCertificateFile);
