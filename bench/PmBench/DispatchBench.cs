using System.Diagnostics;
using System.Globalization;

namespace Pm.Bench;

/// <summary>
/// Issue 10's dispatcher against nginx alone, in one run, on the same 8 warm libfcgi hello instances that `pm serve`
/// supervises as a static app: wrk → nginx → the dispatcher (PmFastCgiListen, nginx keeping its FastCGI connections,
/// the app chosen by PM_APP) → the instances, against wrk → the same nginx → the instances' own socket (one
/// connection per request, as nginx talks to libfcgi apps). At concurrency 1, 8 and 64: requests/s and p99 from wrk,
/// the CPU of the web processes per request, and the ratios (goal: ≥ 0.85× the requests/s, p99 ≤ 1.5×). Then a fresh
/// start, N rounds: `pm serve` with only a dynamic root, and the first request through nginx and the dispatcher to
/// the dynamic hello (which starts it), and the next. Prints numbers; asserts nothing.
/// <code>pm-bench dispatch [--seconds 10] [--warmup 3] [--web N] [--fresh 5]</code>
/// </summary>
public static class DispatchBench
{
    private const int Instances = 8;
    private static readonly int[] Concurrency = [1, 8, 64];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var warmUp = Option(args, "--warmup", 3);
        var web = Option(args, "--web", Environment.ProcessorCount);
        var fresh = Option(args, "--fresh", 5);
        if (!File.Exists(Wrk.Path) || !File.Exists(Nginx.Path))
        {
            Console.Error.WriteLine("pm-bench dispatch needs wrk and nginx: scripts/setup.sh --bench installs them");
            return 2;
        }

        var dir = BenchEnvironment.WorkDirectory();
        var hello = BenchEnvironment.BuildHelloC(dir);
        var root = Directory.CreateDirectory(Path.Combine(dir, "fcgi-bin")).FullName;
        File.Copy(hello, Path.Combine(root, "hello.fcgi"));
        var ipc = Path.Combine(dir, "ipc");
        var appSocket = Path.Combine(ipc, "hello");
        var dispatch = Path.Combine(dir, "dispatch.sock");
        var pmPort = BenchEnvironment.FreePort();
        var nginxPort = BenchEnvironment.FreePort();
        var config = Path.Combine(dir, "dispatch.conf");
        await File.WriteAllTextAsync(config, $"""
            FastCgiIpcDir {ipc}
            PmListen 127.0.0.1:{pmPort}
            PmWebProcesses {web}
            PmFastCgiListen unix:{dispatch}
            FastCgiServer {hello} -socket hello -processes {Instances} -listen-queue-depth 1024
            """);

        Console.WriteLine($"pm-bench dispatch: {Environment.ProcessorCount} cores, {Instances} libfcgi hello processes, {web} web process(es), 1 nginx worker, " +
            $"wrk {seconds} s per run after {warmUp} s warm-up; pm {BenchEnvironment.Pm}");
        Process? nginx = null;
        var pm = BenchEnvironment.StartPm(config, "serve");
        try
        {
            await BenchEnvironment.WaitForFileAsync(appSocket, TimeSpan.FromSeconds(20));
            await BenchEnvironment.WaitForFileAsync(dispatch, TimeSpan.FromSeconds(20));
            nginx = Nginx.Start(Nginx.WriteConfig(Path.Combine(dir, "nginx"), nginxPort, 1, Upstream(dispatch), [
                Nginx.FastCgiLocation("/direct", appSocket),
                DispatchLocation("/dispatch", $"fastcgi_param PM_APP {hello};"),
                DispatchLocation("/fcgi-bin/", $"root {dir};"),
            ]));
            var direct = $"http://127.0.0.1:{nginxPort}/direct";
            var viaPm = $"http://127.0.0.1:{nginxPort}/dispatch";
            await HttpProbe.WaitAnswerAsync(nginxPort, "/direct", TimeSpan.FromSeconds(20));
            if ((await HttpProbe.GetAsync(nginxPort, "/dispatch")) is { Status: not 200 } refused)
            {
                Console.Error.WriteLine($"pm-bench dispatch: the dispatcher answered {refused.Status}: {refused.Text}");
                return 1;
            }

            await Wrk.RunAsync(direct, 64, warmUp);
            await Wrk.RunAsync(viaPm, 64, warmUp);

            Console.WriteLine();
            Console.WriteLine("  c | dispatch req/s    p99 ms  µs web CPU/req | direct req/s    p99 ms | req/s ratio  p99 ratio");
            foreach (var c in Concurrency)
            {
                var before = CpuTicks("pm web " + config);
                var a = await Wrk.RunAsync(viaPm, c, seconds);
                var cpu = (CpuTicks("pm web " + config) - before) * 10_000.0 / Math.Max(1, a.Requests);
                var b = await Wrk.RunAsync(direct, c, seconds);
                foreach (var run in new[] { a, b })
                {
                    if (run.Errors is not null)
                    {
                        Console.WriteLine($"    {run.Command}: {run.Errors}");
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c,3} | {a.Rps,14:0} {a.P99,9:0.00} {cpu,16:0.0} | {b.Rps,12:0} {b.P99,9:0.00} | {a.Rps / b.Rps,11:0.00} {a.P99 / b.P99,10:0.00}"));
            }

            Console.WriteLine();
            Console.WriteLine("req/s ratio = nginx → dispatcher → instances / nginx → instances (goal >= 0.85); p99 ratio likewise (goal <= 1.5).");
            BenchEnvironment.Stop(pm);

            // Fresh starts: only the dynamic root, so the first request is also the app's first.
            var dynamicConfig = Path.Combine(dir, "fresh.conf");
            await File.WriteAllTextAsync(dynamicConfig, $"""
                FastCgiIpcDir {ipc}
                PmListen 127.0.0.1:{pmPort}
                PmWebProcesses {web}
                PmFastCgiListen unix:{dispatch}
                PmDynamicRoot /fcgi-bin/ {root}
                """);
            var firsts = new List<double>();
            var nexts = new List<double>();
            for (var round = 0; round < fresh; round++)
            {
                pm = BenchEnvironment.StartPm(dynamicConfig, "serve");
                await HttpProbe.WaitAnswerAsync(pmPort, "/", TimeSpan.FromSeconds(20));
                var first = await HttpProbe.GetAsync(nginxPort, "/fcgi-bin/hello.fcgi");
                var next = await HttpProbe.GetAsync(nginxPort, "/fcgi-bin/hello.fcgi");
                if (first.Status != 200 || next.Status != 200)
                {
                    Console.WriteLine($"    fresh start {round}: {first.Status} then {next.Status}: {first.Text}");
                }

                firsts.Add(first.Milliseconds);
                nexts.Add(next.Milliseconds);
                BenchEnvironment.Stop(pm);
            }

            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fresh start, nginx → dispatcher → dynamic hello (started by the request), {fresh} rounds: first request median {Median(firsts):0.00} ms [{firsts.Min():0.00}–{firsts.Max():0.00}], next {Median(nexts):0.00} ms"));
            return 0;
        }
        finally
        {
            if (nginx is not null)
            {
                Posix.ChildProcess.SignalProcess(nginx.Id, Posix.Signals.SIGQUIT);
                await nginx.WaitForExitAsync();
                nginx.Dispose();
            }

            if (!pm.HasExited)
            {
                BenchEnvironment.Stop(pm);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Upstream(string dispatch) => $$"""
            upstream pm_dispatch {
                server unix:{{dispatch}};
                keepalive 32;
            }
        """;

    /// <summary>A location passing to the dispatcher over kept connections, with Debian's stock fastcgi_params.</summary>
    private static string DispatchLocation(string location, string extra) => $$"""
            location {{location}} {
                include /etc/nginx/fastcgi_params;
                {{extra}}
                fastcgi_pass pm_dispatch;
                fastcgi_keep_conn on;
            }
        """;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }

    /// <summary>utime + stime, in 1/100 s, of the processes whose command line contains <paramref name="pattern"/>.</summary>
    private static long CpuTicks(string pattern)
    {
        long total = 0;
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out _))
            {
                continue;
            }

            try
            {
                if (!File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ').Contains(pattern, StringComparison.Ordinal))
                {
                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(proc, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked.
            }
        }

        return total;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
