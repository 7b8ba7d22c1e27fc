namespace Pm.Config;

/// <summary>
/// TLS on the HTTP listener (`PmListen PORT -cert FILE -key FILE`): the PEM certificate (chain) and its private key,
/// and whether HTTP/2 is offered through ALPN beside HTTP/1.1. Each web process loads the files when it starts, so a
/// renewed certificate is taken up by `pm reload` (the web processes are replaced one by one).
/// </summary>
public sealed record TlsSettings(string CertificateFile, string KeyFile, bool Http2);
