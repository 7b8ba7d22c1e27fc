namespace Pm.Config;

/// <summary>The HTTP front end: where it listens, whether with TLS, and how many web processes share the port.</summary>
public sealed record FrontEndConfig(string ListenHost, int ListenPort, int Processes, TlsSettings? Tls = null);
