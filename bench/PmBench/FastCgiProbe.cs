using System.Net.Sockets;
using System.Text;

namespace Pm.Bench;

/// <summary>
/// One FastCGI request straight to an app's socket, no web server between: connect, send BEGIN_REQUEST, PARAMS and an
/// empty STDIN, read until the app closes. The answer is returned as text, records and all: the benchmarks only look
/// for the "pid N," the example apps (and the PHP scripts of the peers benchmark) print.
/// </summary>
public static class FastCgiProbe
{
    public static Task<string> AskAsync(string socketPath, CancellationToken cancel = default) =>
        SendAsync(socketPath, AppAlone.MinimalRequest, cancel);

    /// <summary>A request with CGI parameters, e.g. SCRIPT_FILENAME for php-fpm.</summary>
    public static Task<string> AskAsync(string socketPath, IReadOnlyDictionary<string, string> parameters, CancellationToken cancel = default) =>
        SendAsync(socketPath, Request(parameters), cancel);

    /// <summary>The pid in the answer's "pid N," (hello-c: "Hello from a libfcgi app, pid N, request M").</summary>
    public static int PidOf(string answer)
    {
        var at = answer.IndexOf("pid ", StringComparison.Ordinal) + 4;
        var end = answer.IndexOf(',', at);
        return int.Parse(answer[at..end]);
    }

    private static async Task<string> SendAsync(string socketPath, byte[] request, CancellationToken cancel)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel);
        await s.SendAsync(request, cancel);
        var received = new List<byte>();
        var buffer = new byte[4096];
        int n;
        while ((n = await s.ReceiveAsync(buffer, cancel)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>
    /// BEGIN_REQUEST (id 1, RESPONDER, no KEEP_CONN), one PARAMS record of name-value pairs, the empty PARAMS and STDIN.
    /// A length under 128 is one byte, else four with the top bit set (FastCGI 1.0, 3.4).
    /// </summary>
    private static byte[] Request(IReadOnlyDictionary<string, string> parameters)
    {
        var body = new List<byte>();
        foreach (var (name, value) in parameters)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            Length(body, n.Length);
            Length(body, v.Length);
            body.AddRange(n);
            body.AddRange(v);
        }

        if (body.Count > 65535)
        {
            throw new ArgumentException("parameters over one record's 65535 bytes", nameof(parameters));
        }

        var request = new List<byte>(AppAlone.MinimalRequest.AsSpan(0, 16).ToArray());
        request.AddRange([1, 4, 0, 1, (byte)(body.Count >> 8), (byte)body.Count, 0, 0]);
        request.AddRange(body);
        request.AddRange(AppAlone.MinimalRequest.AsSpan(16).ToArray());
        return request.ToArray();
    }

    private static void Length(List<byte> into, int length)
    {
        if (length < 128)
        {
            into.Add((byte)length);
        }
        else
        {
            into.AddRange([(byte)((length >> 24) | 0x80), (byte)(length >> 16), (byte)(length >> 8), (byte)length]);
        }
    }
}
