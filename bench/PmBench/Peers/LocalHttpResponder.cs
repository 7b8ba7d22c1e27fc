using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pm.Bench.Peers;

/// <summary>
/// The least HTTP/1.1 server that keeps a client busy: every request (read up to its blank line; no bodies) gets a
/// 2-byte 200, keep-alive unless the client said close. Only for warming this process's client code.
/// </summary>
public sealed class LocalHttpResponder : IAsyncDisposable
{
    private static readonly byte[] Answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private Task accepting = Task.CompletedTask;

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public static LocalHttpResponder Start()
    {
        var responder = new LocalHttpResponder();
        responder.listener.Start();
        responder.accepting = responder.AcceptAsync();
        return responder;
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptSocketAsync(stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            var buffer = new byte[8192];
            var pending = new StringBuilder();
            try
            {
                int n;
                while ((n = await client.ReceiveAsync(buffer, stop.Token)) > 0)
                {
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    int end;
                    while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                    {
                        var request = pending.ToString(0, end);
                        pending.Remove(0, end + 4);
                        await client.SendAsync(Answer, stop.Token);
                        if (request.Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
                        {
                            return;
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }
}
