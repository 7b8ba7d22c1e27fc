namespace Pm.Config;

/// <summary>
/// The front end: where it listens for HTTP, whether with TLS, how many web processes share the port, and where they
/// also accept FastCGI from a web server in front (PmFastCgiListen; null: not at all), with
/// the access of its Unix socket.
/// </summary>
public sealed record FrontEndConfig(string ListenHost, int ListenPort, int Processes, TlsSettings? Tls = null, AppAddress? FastCgiListen = null,
    SocketAccess? FastCgiAccess = null);
