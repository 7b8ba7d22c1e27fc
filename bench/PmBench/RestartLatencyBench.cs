using System.Diagnostics;
using System.Net.Sockets;

namespace Pm.Bench;

/// <summary>
/// Time from SIGKILL of an instance to its replacement accepting a connection. One libfcgi hello instance
/// (-restart-delay 0 so the spacing floor does not apply); for each round the benchmark asks the current
/// instance for its pid, SIGKILLs it, and at once connects to the app's socket (the PM holds it, so the connect
/// succeeds and waits in the backlog) and sends a minimal FastCGI request. The round's figure is the time from
/// kill() to the end of the answer (after making sure the old instance is dead, which is part of the figure): the replacement's start, its accept and one tiny request.
/// </summary>
public static class RestartLatencyBench
{
    // FastCGI: BEGIN_REQUEST (id 1, RESPONDER, no KEEP_CONN), empty PARAMS, empty STDIN.
    private static readonly byte[] Request =
    [
        1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
        1, 4, 0, 1, 0, 0, 0, 0,
        1, 5, 0, 1, 0, 0, 0, 0,
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
        var dir = BenchEnvironment.WorkDirectory();
        var hello = BenchEnvironment.BuildHelloC(dir);
        var socket = Path.Combine(dir, "ipc", "hello");
        var config = Path.Combine(dir, "restart.conf");
        await File.WriteAllTextAsync(config, $"""
            FastCgiIpcDir {dir}/ipc
            FastCgiServer {hello} -socket hello -restart-delay 0 -min-server-life 0
            """);
        var pm = BenchEnvironment.StartPm(config);
        try
        {
            await BenchEnvironment.WaitForFileAsync(socket, TimeSpan.FromSeconds(20));
            await AskAsync(socket); // warm up: the first instance is running
            var samples = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var pid = PidOf(await AskAsync(socket));
                using var death = new Posix.Epoll();
                var pidfd = Posix.PidFd.Open(pid);
                death.Add(pidfd, 1);
                var ready = new ulong[1];
                var watch = Stopwatch.StartNew();
                Posix.ChildProcess.SignalProcess(pid, Posix.Signals.SIGKILL);

                // SIGKILL lands asynchronously: until the old instance is really dead it could still accept
                // (and then drop) our connection, so wait (in the kernel, not spinning) for its pidfd.
                death.Wait(ready, 1000);
                Posix.FileDescriptor.Close(pidfd);

                var answer = await AskAsync(socket);
                watch.Stop();
                if (PidOf(answer) == pid)
                {
                    throw new InvalidOperationException("the killed instance answered");
                }

                samples.Add(watch.Elapsed.TotalMilliseconds);
                await Task.Delay(50);
            }

            samples.Sort();
            var median = samples[samples.Count / 2];
            var own = await OwnStartAsync(hello, dir, rounds);
            var ownMedian = own[own.Count / 2];
            Console.WriteLine($"restart latency (SIGKILL -> replacement answered), {rounds} kills of a libfcgi hello instance:");
            Console.WriteLine($"  median {median:0.00} ms   max {samples[^1]:0.00} ms   min {samples[0]:0.00} ms   goal <= 5 ms: {(median <= 5 ? "met" : "missed")} (median/goal {median / 5:0.00})");
            Console.WriteLine("  samples: " + string.Join(" ", samples.Select(s => s.ToString("0.00"))));
            Console.WriteLine($"the app's own start-and-answer (posix_spawn by this bench -> answered), {rounds} starts:");
            Console.WriteLine($"  median {ownMedian:0.00} ms   max {own[^1]:0.00} ms   min {own[0]:0.00} ms   PM's share of the restart median {median - ownMedian:0.00} ms (restart/own {median / ownMedian:0.00})");
            return 0;
        }
        finally
        {
            BenchEnvironment.Stop(pm);
        }
    }

    /// <summary>
    /// The floor the PM works against: the same app started straight from here (posix_spawn, the socket on fd 0, its
    /// own process group) until it answers one request; then SIGKILL and reap.
    /// </summary>
    private static async Task<List<double>> OwnStartAsync(string hello, string dir, int rounds)
    {
        var path = Path.Combine(dir, "own.sock");
        File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        var samples = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            var pid = Posix.PosixSpawn.Start(new Posix.SpawnOptions
            {
                Path = hello,
                Arguments = [hello],
                Descriptors = [((int)listener.Handle, 0), (1, 1), (2, 2)],
                WorkingDirectory = dir,
            });
            await AskAsync(path);
            watch.Stop();
            samples.Add(watch.Elapsed.TotalMilliseconds);
            Posix.ChildProcess.SignalProcess(pid, Posix.Signals.SIGKILL);
            var deadline = Stopwatch.StartNew();
            while (Posix.ChildProcess.WaitPidExitedNoHang(pid) is null && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(1);
            }

            await Task.Delay(50);
        }

        samples.Sort();
        return samples;
    }

    private static async Task<string> AskAsync(string path)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await s.SendAsync(Request);
        var received = new List<byte>();
        var buffer = new byte[4096];
        int n;
        while ((n = await s.ReceiveAsync(buffer)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, n));
        }

        return System.Text.Encoding.ASCII.GetString(received.ToArray());
    }

    private static int PidOf(string answer)
    {
        var at = answer.IndexOf("pid ", StringComparison.Ordinal) + 4;
        var end = answer.IndexOf(',', at);
        return int.Parse(answer[at..end]);
    }
}
