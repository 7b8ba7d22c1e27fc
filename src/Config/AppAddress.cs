using System.Net;
using System.Net.Sockets;

namespace Pm.Config;

/// <summary>Where an app listens: a Unix socket path, or a TCP host and port.</summary>
public sealed record AppAddress(string? SocketPath, string? Host, int Port)
{
    public static AppAddress Unix(string path) => new(path, null, 0);

    public static AppAddress Tcp(string host, int port) => new(null, host, port);

    public bool IsUnix => SocketPath is not null;

    public EndPoint ToEndPoint() =>
        SocketPath is not null
            ? new UnixDomainSocketEndPoint(SocketPath)
            : IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host!, Port);

    public override string ToString() => SocketPath ?? $"{Host}:{Port}";
}
