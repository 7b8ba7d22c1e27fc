namespace Pm.Config;

/// <summary>
/// TLS on the HTTP listener (`PmListen PORT -cert FILE -key FILE`): the PEM certificate (chain) and its private key,
/// and whether HTTP/2 is offered through ALPN beside HTTP/1.1. Each web process loads the files when it starts; the
/// files' modification times are part of the settings, so a reload after the certificate was renewed in place (the
/// config text unchanged) still differs and rolls the web processes onto the new one.
/// </summary>
public sealed record TlsSettings(string CertificateFile, string KeyFile, bool Http2)
{
    /// <summary>When the certificate and the key were last written, as read at parse time.</summary>
    public (DateTime Certificate, DateTime Key) Written { get; init; } = (File.GetLastWriteTimeUtc(CertificateFile), File.GetLastWriteTimeUtc(KeyFile));
}
