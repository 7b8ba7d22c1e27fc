using System.Diagnostics;

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
            await FastCgiProbe.AskAsync(socket); // warm up: the first instance is running
            var samples = await KillAndAskAsync(socket, rounds);

            var first = samples[0];
            samples.Sort();
            var median = samples[samples.Count / 2];
            var own = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                own.Add(await AppAlone.StartAndAnswerAsync(hello));
                await Task.Delay(50);
            }

            own.Sort();
            var ownMedian = own[own.Count / 2];
            Console.WriteLine($"restart latency (SIGKILL -> replacement answered), {rounds} kills of a libfcgi hello instance:");
            Console.WriteLine($"  median {median:0.00} ms   max {samples[^1]:0.00} ms   min {samples[0]:0.00} ms   goal <= 5 ms: {(median <= 5 ? "met" : "missed")} (median/goal {median / 5:0.00})");
            Console.WriteLine("  samples: " + string.Join(" ", samples.Select(s => s.ToString("0.00"))));
            Console.WriteLine($"  the first kill's restart, the PM's first time down that path (code compiled on the way): {first:0.00} ms");
            Console.WriteLine($"the app's own start-and-answer (posix_spawn by this bench -> answered), {rounds} starts:");
            Console.WriteLine($"  median {ownMedian:0.00} ms   max {own[^1]:0.00} ms   min {own[0]:0.00} ms   PM's share of the restart median {median - ownMedian:0.00} ms (restart/own {median / ownMedian:0.00})");
            return 0;
        }
        finally
        {
            BenchEnvironment.Stop(pm);
        }
    }

    /// <summary>Rounds of: ask the instance behind <paramref name="socket"/> its pid, SIGKILL it, time until a replacement answers.</summary>
    public static async Task<List<double>> KillAndAskAsync(string socket, int rounds)
    {
        var samples = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var pid = FastCgiProbe.PidOf(await FastCgiProbe.AskAsync(socket));
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

            var answer = await FastCgiProbe.AskAsync(socket);
            watch.Stop();
            if (FastCgiProbe.PidOf(answer) == pid)
            {
                throw new InvalidOperationException("the killed instance answered");
            }

            samples.Add(watch.Elapsed.TotalMilliseconds);
            await Task.Delay(50);
        }

        return samples;
    }
}
