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
            // .NET reports a missing Unix socket (ENOENT) as AddressNotAvailable.
            var why = ex.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable => $"no PM runs with IPC dir {Path.GetDirectoryName(socketPath)} (there is no {Path.GetFileName(socketPath)}); name the PM's config with -c CONFIG or $PM_CONFIG, or its IPC dir with --ipc-dir",
                SocketError.ConnectionRefused => $"{socketPath} is there but nobody answers on it (a PM that died without removing it?)",
                _ => $"no PM answers on {socketPath}: {ex.Message}",
            };
            throw new IOException(why, ex);
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
