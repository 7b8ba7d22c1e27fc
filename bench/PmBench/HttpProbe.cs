using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pm.Bench;

/// <summary>
/// HTTP/1.1 GETs over a fresh TCP connection each ("Connection: close", read to the end), written by hand so that a
/// first request costs the server's first request and nothing of HttpClient's own (pool, handshake of its settings).
/// </summary>
public static class HttpProbe
{
    public sealed record Answer(int Status, double Milliseconds, string Text);

    /// <summary>One GET; <see cref="Answer.Milliseconds"/> from connect to the last byte.</summary>
    public static async Task<Answer> GetAsync(int port, string path, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel);
        return await ExchangeAsync(s, port, path, watch, cancel);
    }

    /// <summary>
    /// Polls until the port answers HTTP at all (any status): connect every 2 ms while refused, then GET
    /// <paramref name="path"/>. Returns that first answer; its time is measured by the caller's clock.
    /// </summary>
    public static async Task<Answer> WaitAnswerAsync(int port, string path, TimeSpan timeout, CancellationToken cancel = default)
    {
        var end = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var answer = await GetAsync(port, path, cancel);
                if (answer.Status > 0)
                {
                    return answer;
                }
            }
            catch (SocketException) when (Stopwatch.GetTimestamp() < end)
            {
            }

            if (Stopwatch.GetTimestamp() >= end)
            {
                throw new TimeoutException($"nothing answered HTTP on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(2, cancel);
        }
    }

    private static async Task<Answer> ExchangeAsync(Socket s, int port, string path, Stopwatch watch, CancellationToken cancel)
    {
        await s.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"), cancel);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        try
        {
            while ((n = await s.ReceiveAsync(buffer, cancel)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException) when (received.Length > 0)
        {
            // A reset after the answer (a server closing with our request's bytes unread) still answered.
        }

        var text = Encoding.ASCII.GetString(received.ToArray());
        var status = 0;
        if (text.StartsWith("HTTP/1.", StringComparison.Ordinal) && text.Length >= 12)
        {
            int.TryParse(text.AsSpan(9, 3), out status);
        }

        return new Answer(status, watch.Elapsed.TotalMilliseconds, text);
    }
}
