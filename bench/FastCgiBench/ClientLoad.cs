using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using Pm.Protocol.FastCgi;

namespace FastCgiBench;

/// <summary>
/// Drives the FastCGI client: one keep-conn connection per worker, requests back to back, response read and
/// dropped. Counts requests, latency, and what this process allocated and spent in CPU per request.
/// </summary>
internal static class ClientLoad
{
    /// <summary>A parameter set of the size nginx sends for a typical request.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> TypicalParams = new KeyValuePair<string, string>[]
    {
        new("GATEWAY_INTERFACE", "CGI/1.1"),
        new("SERVER_SOFTWARE", "pm"),
        new("QUERY_STRING", "id=42&sort=asc"),
        new("REQUEST_METHOD", "GET"),
        new("CONTENT_TYPE", string.Empty),
        new("CONTENT_LENGTH", string.Empty),
        new("SCRIPT_FILENAME", "/srv/www/index.php"),
        new("SCRIPT_NAME", "/index.php"),
        new("REQUEST_URI", "/index.php?id=42&sort=asc"),
        new("DOCUMENT_URI", "/index.php"),
        new("DOCUMENT_ROOT", "/srv/www"),
        new("SERVER_PROTOCOL", "HTTP/1.1"),
        new("REMOTE_ADDR", "127.0.0.1"),
        new("REMOTE_PORT", "51234"),
        new("SERVER_ADDR", "127.0.0.1"),
        new("SERVER_PORT", "8080"),
        new("SERVER_NAME", "localhost"),
        new("REDIRECT_STATUS", "200"),
        new("HTTP_HOST", "localhost:8080"),
        new("HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
        new("HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        new("HTTP_ACCEPT_ENCODING", "gzip, deflate"),
        new("HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.5"),
        new("HTTP_CONNECTION", "keep-alive"),
    };

    public sealed record Result(long Requests, long Failures, TimeSpan Elapsed, double AllocatedBytesPerRequest, double CpuMicrosecondsPerRequest, double P50Ms, double P99Ms, long ResponseBytes)
    {
        public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
    }

    public static async Task<Result> RunAsync(string socketPath, int connections, TimeSpan warmUp, TimeSpan duration, IReadOnlyList<KeyValuePair<string, string>> parameters, Func<PipeReader>? body = null)
    {
        var endPoint = new UnixDomainSocketEndPoint(socketPath);
        var measuring = 0;
        var stop = 0;
        long requests = 0, failures = 0, responseBytes = 0;
        var latencies = new List<long>[connections];

        async Task WorkerAsync(int index)
        {
            var samples = latencies[index] = new List<long>(1 << 16);
            FastCgiClientConnection? connection = null;
            while (Volatile.Read(ref stop) == 0)
            {
                try
                {
                    connection ??= await FastCgiClientConnection.ConnectAsync(endPoint);
                    var started = Stopwatch.GetTimestamp();
                    long bytes = 0;
                    await using (var request = await connection.BeginRequestAsync(parameters, body?.Invoke()))
                    {
                        while (true)
                        {
                            var read = await request.Output.ReadAsync();
                            bytes += read.Buffer.Length;
                            request.Output.AdvanceTo(read.Buffer.End);
                            if (read.IsCompleted)
                            {
                                break;
                            }
                        }

                        await request.Completion;
                    }

                    if (Volatile.Read(ref measuring) == 1)
                    {
                        Interlocked.Increment(ref requests);
                        Interlocked.Add(ref responseBytes, bytes);
                        samples.Add(Stopwatch.GetTimestamp() - started);
                    }
                }
                catch (Exception e) when (e is FastCgiException or SocketException or InvalidOperationException)
                {
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        var workers = Enumerable.Range(0, connections).Select(i => Task.Run(() => WorkerAsync(i))).ToArray();
        await Task.Delay(warmUp);

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(duration);
        Volatile.Write(ref measuring, 0);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(workers);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? 0 : all[(int)Math.Min(all.Length - 1, p * all.Length)] * 1000.0 / Stopwatch.Frequency;
        var count = Math.Max(1, requests);
        return new Result(requests, failures, elapsed, (double)allocated / count, cpu.TotalMicroseconds / count, Percentile(0.5), Percentile(0.99), responseBytes);
    }
}
