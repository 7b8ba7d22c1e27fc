using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pm.Config;

/// <summary>
/// Loads PmListen's PEM files: the first certificate of the file is the server's, any after it are the chain sent
/// with it (what a CA's "fullchain.pem" holds); the key must be the server certificate's. The config check loads them
/// once, so that `pm check-config` names a wrong, unreadable or mismatched file by its line, not a web process failing
/// at start.
/// </summary>
public static class TlsCertificate
{
    /// <summary>The server certificate with its key, and the rest of the chain.</summary>
    public static (X509Certificate2 Server, X509Certificate2Collection Chain) Load(TlsSettings tls)
    {
        var server = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(tls.CertificateFile);
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint != server.Thumbprint)
            {
                chain.Add(certificate);
            }
        }

        return (server, chain);
    }

    /// <summary>Why the pair cannot serve, or null when it can.</summary>
    public static string? Check(string certificateFile, string keyFile)
    {
        foreach (var file in new[] { certificateFile, keyFile })
        {
            if (!File.Exists(file))
            {
                return $"{(file == certificateFile ? "-cert" : "-key")} {file} does not exist";
            }
        }

        try
        {
            var (server, chain) = Load(new TlsSettings(certificateFile, keyFile, Http2: true));
            using (server)
            {
                foreach (var certificate in chain)
                {
                    certificate.Dispose();
                }

                return server.HasPrivateKey ? null : $"-key {keyFile} gives no private key for the certificate in {certificateFile}";
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return $"cannot use -cert {certificateFile} with -key {keyFile}: {e.Message} (both must be PEM files: the certificate, then any chain, and its private key)";
        }
    }
}
