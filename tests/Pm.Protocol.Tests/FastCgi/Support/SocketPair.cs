using System.Net.Sockets;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Two connected Unix stream sockets, made through a throw-away listener.</summary>
internal static class SocketPair
{
    public static async Task<(Socket Client, Socket Server)> CreateAsync()
    {
        using var directory = new TempDirectory();
        var endPoint = new UnixDomainSocketEndPoint(directory.File("pair.sock"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endPoint);
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(endPoint);
        var server = await accept.WaitAsync(TestTimeouts.Operation);
        return (client, server);
    }
}
