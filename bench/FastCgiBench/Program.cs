using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Pm.Protocol.FastCgi;

namespace FastCgiBench;

/// <summary>
/// FastCGI client/server measurements on this machine. Prints numbers; asserts nothing.
/// <code>
/// dotnet run -c Release --project bench/FastCgiBench -- [inproc|hello|nginx|body]... [--connections 64] [--seconds 10] [--warmup 2] [--apps 2] [--nginx-workers 1]
///   inproc  client → FastCgiServer in this process (a Hello-sized answer), over a Unix socket
///   hello   client → a pool of hello processes sharing one socket on fd 0, as Pm runs them
///   nginx   wrk → nginx → the same hello pool (the front end's target), then the client alone, and the ratio
///   body    client → in-process server, 1 MiB request body and 1 MiB response: throughput
/// </code>
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var scenarios = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (scenarios.Count == 0)
        {
            scenarios = ["inproc", "hello", "nginx", "body"];
        }

        var connections = Option(args, "--connections", 64);
        var seconds = TimeSpan.FromSeconds(Option(args, "--seconds", 10));
        var warmUp = TimeSpan.FromSeconds(Option(args, "--warmup", 2));
        var apps = Option(args, "--apps", 2);
        var nginxWorkers = Option(args, "--nginx-workers", 1);
        var directory = Directory.CreateTempSubdirectory("fcgibench-").FullName;
        Console.WriteLine($"FastCgiBench: {Environment.ProcessorCount} cores, {connections} connections, {seconds.TotalSeconds:0} s per run after {warmUp.TotalSeconds:0} s warm-up, server GC={System.Runtime.GCSettings.IsServerGC}");
        try
        {
            foreach (var scenario in scenarios)
            {
                switch (scenario)
                {
                    case "inproc":
                        await InProcessAsync(directory, connections, warmUp, seconds);
                        break;
                    case "hello":
                        using (var pool = AppPool.Hello(Path.Combine(directory, "hello.sock"), apps))
                        {
                            Print($"client → {apps} hello processes", await ClientLoad.RunAsync(pool.SocketPath, connections, warmUp + TimeSpan.FromSeconds(2), seconds, ClientLoad.TypicalParams));
                        }

                        break;
                    case "nginx":
                        using (var pool = AppPool.Hello(Path.Combine(directory, "hello.sock"), apps))
                        {
                            var client = await ClientLoad.RunAsync(pool.SocketPath, connections, warmUp + TimeSpan.FromSeconds(2), seconds, ClientLoad.TypicalParams);
                            var nginx = await NginxBaseline.RunAsync(directory, pool.SocketPath, connections, seconds, nginxWorkers);
                            Console.WriteLine($"wrk → nginx ({nginxWorkers} worker) → {apps} hello processes: {Format(nginx)} req/s");
                            Print($"client → {apps} hello processes", client);
                            if (nginx is > 0)
                            {
                                Console.WriteLine($"  client / nginx: {client.RequestsPerSecond / nginx.Value:0.00} (the client alone, without HTTP, against nginx's whole path)");
                            }
                        }

                        break;
                    case "body":
                        await BodyAsync(directory, warmUp, seconds);
                        break;
                    default:
                        Console.Error.WriteLine($"unknown scenario {scenario}");
                        return 2;
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    private static async Task InProcessAsync(string directory, int connections, TimeSpan warmUp, TimeSpan seconds)
    {
        var page = Encoding.UTF8.GetBytes("Content-Type: text/html; charset=utf-8\r\n\r\n" + new string('x', 420));
        await using var server = Serve(Path.Combine(directory, "inproc.sock"), async request =>
        {
            await request.Stdout.WriteAsync(page);
            return 0;
        });
        Print("client → in-process server (both in this process)", await ClientLoad.RunAsync(server.SocketPath, connections, warmUp, seconds, ClientLoad.TypicalParams));
    }

    private static async Task BodyAsync(string directory, TimeSpan warmUp, TimeSpan seconds)
    {
        const int size = 1024 * 1024;
        var response = new byte[size];
        var upload = new byte[size];
        await using var server = Serve(Path.Combine(directory, "body.sock"), async request =>
        {
            while (true)
            {
                var read = await request.Stdin.ReadAsync();
                request.Stdin.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await request.Stdout.WriteAsync(response);
            return 0;
        });
        var result = await ClientLoad.RunAsync(server.SocketPath, 4, warmUp, seconds, ClientLoad.TypicalParams, () => PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(upload)));
        Print("client → in-process server, 1 MiB up + 1 MiB down, 4 connections", result);
        Console.WriteLine($"  {2.0 * result.Requests * size / result.Elapsed.TotalSeconds / (1 << 20):0} MiB/s through client and server together");
    }

    private static RunningServer Serve(string socketPath, FastCgiRequestHandler handler)
    {
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1024);
        var stop = new CancellationTokenSource();
        var serving = FastCgiServer.RunAsync(listener, handler, new FastCgiServerOptions { MaxRequests = 4096 }, stop.Token);
        return new RunningServer(socketPath, listener, stop, serving);
    }

    private static void Print(string what, ClientLoad.Result r)
    {
        Console.WriteLine($"{what}: {r.RequestsPerSecond:0} req/s ({r.Requests} in {r.Elapsed.TotalSeconds:0.0} s, {r.Failures} failed)");
        Console.WriteLine($"  latency p50 {r.P50Ms:0.00} ms, p99 {r.P99Ms:0.00} ms; this process: {r.CpuMicrosecondsPerRequest:0.0} µs CPU and {r.AllocatedBytesPerRequest:0} bytes allocated per request");
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "n/a";

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record RunningServer(string SocketPath, Socket Listener, CancellationTokenSource Stop, Task Serving) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Serving;
            Listener.Dispose();
            Stop.Dispose();
        }
    }
}
