using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AspireSse.TestSupport.Processes;

namespace AspireSse.EndToEnd.Tests;

/// <summary>
/// A stand-in for the ASP.NET Core development certificate that Aspire 13.1+ hands to its Redis
/// container when the certificate is trusted: self-signed, for localhost, server authentication only.
/// It is written as PEM files to a temporary directory, next to a trust directory that holds just the
/// certificate — what Aspire puts on the services' <c>SSL_CERT_DIR</c> on Linux.
/// </summary>
internal sealed class DevelopmentCertificate : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private DevelopmentCertificate(string directory)
    {
        Directory = directory;
        TrustDirectory = Path.Combine(directory, "trust");
        var certificateFile = Path.Combine(directory, "localhost.crt");
        Redis = new RedisTls(certificateFile, Path.Combine(directory, "localhost.key"), certificateFile);
    }

    public string Directory { get; }

    /// <summary>What to set <c>SSL_CERT_DIR</c> to so that .NET trusts the certificate.</summary>
    public string TrustDirectory { get; }

    /// <summary>The server's certificate and key; the certificate is also its own CA.</summary>
    public RedisTls Redis { get; }

    public static DevelopmentCertificate Create()
    {
        var files = new DevelopmentCertificate(System.IO.Directory.CreateTempSubdirectory("aspiresse-tls-").FullName);
        using var key = RSA.Create(2048);
        using var certificate = Request(key).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        // The temporary directory is the user's alone (mode 700), which covers the key.
        File.WriteAllText(files.Redis.CertificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(files.Redis.KeyFile, key.ExportPkcs8PrivateKeyPem());

        // .NET reads every file in SSL_CERT_DIR, so a plain name will do: unlike OpenSSL's own
        // lookup, it needs no <subject-hash>.0 links.
        System.IO.Directory.CreateDirectory(files.TrustDirectory);
        File.Copy(files.Redis.CertificateFile, Path.Combine(files.TrustDirectory, "aspiresse-development.pem"));
        return files;
    }

    // The extensions `dotnet dev-certs https` puts on its certificate, minus its marker extension.
    private static CertificateRequest Request(RSA key)
    {
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build(critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], critical: true));
        var subjectKey = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(subjectKey);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKey));
        return request;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }
}
