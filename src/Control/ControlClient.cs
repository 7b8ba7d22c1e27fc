using System.Net.Sockets;
using System.Text;

namespace Pm.Control;

/// <summary>Sends one command to a running PM's control socket and returns its reply.</summary>
public static class ControlClient
{
    public static async Task<string> SendAsync(string socketPath, string command, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"no PM answers on {socketPath}: {ex.Message} (is it running with this IPC dir?)", ex);
        }

        await socket.SendAsync(Encoding.UTF8.GetBytes(command + "\n"), cts.Token).ConfigureAwait(false);
        using var ms = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, cts.Token).ConfigureAwait(false)) > 0)
        {
            ms.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
