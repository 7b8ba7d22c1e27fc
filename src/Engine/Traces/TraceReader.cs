using System.Buffers;
using System.Globalization;

namespace Pm.Engine;

/// <summary>
/// Reads the trace format: UTF-8 text, one request per line, <c>seconds,app,service_ms</c>.
/// <code>
///   # comment lines and blank lines are skipped; an optional header line "seconds,app,service_ms" too
///   12.250000,/srv/fcgi/app.fcgi,48.7
///   ^ arrival, decimal seconds since trace start (>= 0)
///              ^ app id, ',' '%' '#' and control characters as %XX of their UTF-8 bytes
///                                 ^ service time, decimal milliseconds (>= 0)
/// </code>
/// Lines need not be in arrival order (a PM records completions, which finish out of order); the trace is sorted.
/// Every line is checked against <see cref="MaxLineBytes"/> before it is buffered and the request count against a
/// limit before it is stored; any malformed line is a <see cref="TraceFormatException"/> naming the line.
/// </summary>
public static class TraceReader
{
    public const int MaxLineBytes = 4096;
    public const int DefaultMaxRequests = 10_000_000;

    // Bounds that keep virtual time inside TimeSpan and out of absurd territory.
    private const double MaxSeconds = 10_000_000;
    private const double MaxServiceMs = 86_400_000;

    public static Trace ReadFile(string path, int maxRequests = DefaultMaxRequests)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, maxRequests);
    }

    public static Trace Read(Stream stream, int maxRequests = DefaultMaxRequests)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var requests = new List<TraceRequest>();
        var apps = new Dictionary<string, string>(StringComparer.Ordinal);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int start = 0, end = 0;
            long line = 0;
            var eof = false;
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline > MaxLineBytes)
                {
                    throw new TraceFormatException(line + 1, $"longer than {MaxLineBytes} bytes");
                }

                if (newline >= 0)
                {
                    line++;
                    ParseLine(buffer.AsSpan(start, newline), line, requests, apps, maxRequests);
                    start += newline + 1;
                    continue;
                }

                if (end - start > MaxLineBytes)
                {
                    throw new TraceFormatException(line + 1, $"longer than {MaxLineBytes} bytes");
                }

                if (eof)
                {
                    if (end > start)
                    {
                        ParseLine(buffer.AsSpan(start, end - start), line + 1, requests, apps, maxRequests);
                    }

                    break;
                }

                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    eof = true;
                }

                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new Trace(requests);
    }

    private static void ParseLine(
        ReadOnlySpan<byte> text, long line, List<TraceRequest> requests, Dictionary<string, string> apps, int maxRequests)
    {
        text = text.Trim((byte)'\r').Trim(" \t"u8);
        if (text.IsEmpty || text[0] == (byte)'#')
        {
            return;
        }

        if (text.SequenceEqual("seconds,app,service_ms"u8))
        {
            return;
        }

        var first = text.IndexOf((byte)',');
        var last = text.LastIndexOf((byte)',');
        if (first < 0 || first == last || text[(first + 1)..last].Contains((byte)','))
        {
            throw new TraceFormatException(line, "expected three fields: seconds,app,service_ms");
        }

        if (!double.TryParse(text[..first].Trim(" \t"u8), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds < 0 || seconds > MaxSeconds)
        {
            throw new TraceFormatException(line, $"the arrival time is not a number of seconds between 0 and {MaxSeconds}");
        }

        if (!double.TryParse(text[(last + 1)..].Trim(" \t"u8), NumberStyles.Float, CultureInfo.InvariantCulture, out var serviceMs)
            || !double.IsFinite(serviceMs) || serviceMs < 0 || serviceMs > MaxServiceMs)
        {
            throw new TraceFormatException(line, $"the service time is not a number of milliseconds between 0 and {MaxServiceMs}");
        }

        var decoded = AppField.Decode(text[(first + 1)..last].Trim(" \t"u8), out var error)
            ?? throw new TraceFormatException(line, error!);
        if (!apps.TryGetValue(decoded, out var app))
        {
            app = decoded;
            apps.Add(app, app);
        }

        if (requests.Count >= maxRequests)
        {
            throw new TraceFormatException(line, $"more than {maxRequests} requests");
        }

        requests.Add(new TraceRequest(
            TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)),
            app,
            TimeSpan.FromTicks((long)Math.Round(serviceMs * TimeSpan.TicksPerMillisecond))));
    }
}
