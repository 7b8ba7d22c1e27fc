using System.Diagnostics;
using System.Globalization;
using Pm.Diagnosis;
using Pm.Supervision;

namespace Pm.Bench;

/// <summary>
/// pm-bench frozen: what issue 8's limits cost and how fast they act, against real processes.
/// <list type="bullet">
/// <item>-request-timeout 1 on a libfcgi app frozen in sleep(): how long after the limit the client has its 504,
/// and how long after the 504 the next request is answered by the replacement (one instance, so that request
/// waits in the socket's backlog through the diagnosis, the kill and the restart).</item>
/// <item>The diagnosis of a two-process group, without backtraces, with eu-stack's and with gdb's (those installed).</item>
/// <item>kill -9 of `pm run` (the watchdog) and of the PM core: until its instance is gone.</item>
/// <item>The fast paths, limits off against limits on, in the same run: restart after SIGKILL, and front-end req/s (wrk).</item>
/// </list>
/// </summary>
public static class FrozenBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var dir = BenchEnvironment.WorkDirectory();
        var fcgi = BenchEnvironment.Compile(dir, "tests/Pm.Tests/Apps/fcgi-test.c", "fcgi-test");
        var hello = BenchEnvironment.BuildHelloC(dir);

        await TimeoutToReplacementAsync(dir, fcgi, rounds);
        await DiagnosisCostAsync(rounds);
        await KillMinus9Async(dir, hello, rounds);
        await FastPathAsync(dir, hello);
        return 0;
    }

    private static async Task TimeoutToReplacementAsync(string dir, string fcgi, int rounds)
    {
        var port = BenchEnvironment.FreePort();
        var config = Write(dir, "timeout.conf", $"""
            FastCgiIpcDir {dir}/ipc-timeout
            PmListen 127.0.0.1:{port}
            PmWebProcesses 1
            FastCgiServer {fcgi} -processes 1 -url /t -request-timeout 1 -kill-grace 1
            """);
        var pm = BenchEnvironment.StartPm(config, "serve");
        try
        {
            await HttpProbe.WaitAnswerAsync(port, "/t", TimeSpan.FromSeconds(30));
            var late = new List<double>();
            var replaced = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var frozen = await HttpProbe.GetAsync(port, "/t?mode=freeze");
                var watch = Stopwatch.StartNew();
                if (frozen.Status != 504)
                {
                    throw new InvalidOperationException($"a frozen request got {frozen.Status}, not 504");
                }

                var next = await HttpProbe.GetAsync(port, "/t");
                replaced.Add(watch.Elapsed.TotalMilliseconds);
                late.Add(frozen.Milliseconds - 1000);
                if (next.Status != 200)
                {
                    throw new InvalidOperationException($"the request after the kill got {next.Status}");
                }
            }

            Console.WriteLine($"-request-timeout 1 s, a libfcgi app frozen in sleep(), {rounds} rounds:");
            Console.WriteLine($"  504 after the limit: first (a fresh pm) {late[0]:0} ms, median {Median(late):0} ms, max {late.Max():0} ms (goal <= 500 ms: {(late.Max() <= 500 ? "met" : "missed")})");
            Console.WriteLine($"  504 -> the replacement answered: first {replaced[0]:0} ms, median {Median(replaced):0} ms, max {replaced.Max():0} ms (diagnosis with backtraces, SIGTERM, restart)");
        }
        finally
        {
            BenchEnvironment.Stop(pm);
        }
    }

    private static async Task DiagnosisCostAsync(int rounds)
    {
        var group = Process.Start(new ProcessStartInfo("/usr/bin/setsid", ["/bin/sh", "-c", "sleep 60 & exec sleep 61"]) { UseShellExecute = false })!;
        try
        {
            await Task.Delay(200);
            var input = new DiagnosisInput("bench", group.Id, group.Id, "pm-bench frozen", null, null, null, null);
            foreach (var (backtraces, prefer) in new[] { (false, "eu-stack"), (true, "eu-stack"), (true, "gdb") })
            {
                Environment.SetEnvironmentVariable("PM_BACKTRACE_TOOL", prefer);
                if (backtraces && Backtraces.Tool() is var (found, _) && found != prefer)
                {
                    continue; // not installed: the row would repeat the other tool's
                }

                var diagnoser = new ProcDiagnoser(TimeProvider.System, backtraces);
                var samples = new List<double>();
                for (var i = 0; i < rounds; i++)
                {
                    var watch = Stopwatch.StartNew();
                    await diagnoser.DiagnoseAsync(input, CancellationToken.None);
                    samples.Add(watch.Elapsed.TotalMilliseconds);
                }

                var tool = Backtraces.Tool() is var (name, _) ? name : "none installed";
                Console.WriteLine($"diagnosis of a 2-process group {(backtraces ? $"with backtraces ({tool})" : "without backtraces")}: first {samples[0]:0.0} ms, median {Median(samples):0.0} ms, max {samples.Max():0.0} ms");
            }
        }
        finally
        {
            Posix.ChildProcess.SignalGroup(group.Id, Posix.Signals.SIGKILL);
            await group.WaitForExitAsync();
        }
    }

    private static async Task KillMinus9Async(string dir, string hello, int rounds)
    {
        foreach (var victim in new[] { "watchdog", "core" })
        {
            var samples = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var socket = $"{dir}/ipc-kill/hello";
                var config = Write(dir, "kill.conf", $"""
                    FastCgiIpcDir {dir}/ipc-kill
                    FastCgiServer {hello} -socket hello -processes 1
                    """);
                if (File.Exists(socket)) File.Delete(socket); // a killed core leaves its socket file: wait for the new PM's
                var pm = BenchEnvironment.StartPm(config);
                try
                {
                    await BenchEnvironment.WaitForFileAsync(socket, TimeSpan.FromSeconds(20));
                }
                catch
                {
                    BenchEnvironment.Stop(pm);
                    throw;
                }

                var instance = FastCgiProbe.PidOf(await FastCgiProbe.AskAsync(socket));
                var target = victim == "watchdog" ? pm.Id : int.Parse(File.ReadAllText($"/proc/{pm.Id}/task/{pm.Id}/children").Trim(), CultureInfo.InvariantCulture);
                var watch = Stopwatch.StartNew();
                Posix.ChildProcess.SignalProcess(target, Posix.Signals.SIGKILL);
                while (Alive(instance) && watch.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(2);
                }

                samples.Add(watch.Elapsed.TotalMilliseconds);
                await pm.WaitForExitAsync();
                await Task.Delay(100);
            }

            Console.WriteLine($"kill -9 of the {victim} -> its instance gone: median {Median(samples):0} ms, max {samples.Max():0} ms (goal <= 1000 ms: {(samples.Max() <= 1000 ? "met" : "missed")})");
        }
    }

    private static async Task FastPathAsync(string dir, string hello)
    {
        var figures = new List<(string Limits, double First, double Restart, double Rps)>();
        foreach (var limits in new[] { "", "-request-timeout 30 -slow-log 10" })
        {
            var port = BenchEnvironment.FreePort();
            var socket = $"{dir}/ipc-fast/hello";
            var config = Write(dir, "fast.conf", $"""
                FastCgiIpcDir {dir}/ipc-fast
                PmListen 127.0.0.1:{port}
                PmWebProcesses 1
                FastCgiServer {hello} -socket hello -processes 1 -url /hello -restart-delay 0 -min-server-life 0 {limits}
                """);
            var pm = BenchEnvironment.StartPm(config, "serve");
            try
            {
                await BenchEnvironment.WaitForFileAsync(socket, TimeSpan.FromSeconds(20));
                await HttpProbe.WaitAnswerAsync(port, "/hello", TimeSpan.FromSeconds(30));
                var restarts = await RestartLatencyBench.KillAndAskAsync(socket, 20);
                await Wrk.RunAsync($"http://127.0.0.1:{port}/hello", 8, 2); // warm-up
                var wrk = await Wrk.RunAsync($"http://127.0.0.1:{port}/hello", 8, 5);
                figures.Add((limits.Length == 0 ? "limits off" : "limits on", restarts[0], Median(restarts), wrk.Rps));
            }
            finally
            {
                BenchEnvironment.Stop(pm);
            }
        }

        Console.WriteLine("fast paths, the same run (restart: SIGKILL -> replacement answered, median of 20; req/s: wrk -c8 5 s, 1 instance):");
        foreach (var (limits, first, restart, rps) in figures)
        {
            Console.WriteLine($"  {limits,-11} restart first (a fresh pm) {first:0.00} ms, median {restart:0.00} ms   {rps:0} req/s");
        }

        Console.WriteLine($"  on/off: restart {figures[1].Restart / figures[0].Restart:0.00}x, req/s {figures[1].Rps / figures[0].Rps:0.00}x");
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Write(string dir, string name, string text)
    {
        // Each config in a folder of its own: the PM's log (pm.log) is written beside it.
        var folder = Directory.CreateDirectory(Path.Combine(dir, Path.GetFileNameWithoutExtension(name))).FullName;
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static double Median(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
