using System.Diagnostics;
using System.Globalization;
using Pm.Bench.Peers;

namespace Pm.Bench;

/// <summary>
/// Issue 10's dispatcher against nginx alone, in one run, on the same 8 warm libfcgi hello instances that `pm serve`
/// supervises as a static app: wrk → nginx → the dispatcher (PmFastCgiListen, nginx keeping its FastCGI connections,
/// the app chosen by PM_APP) → the instances, against wrk → the same nginx → the instances' own socket (one
/// connection per request, as nginx talks to libfcgi apps). At concurrency 1, 8 and 64: requests/s and p99 from wrk,
/// the CPU of the web processes per request, and the ratios (goal: ≥ 0.85× the requests/s, p99 ≤ 1.5×). Then a fresh
/// start, N rounds: `pm serve` with only a dynamic root, and the first request through nginx and the dispatcher to
/// the dynamic hello (which starts it), and the next. Prints numbers; asserts nothing.
/// Beside them, in the same turns: nginx → HAProxy relaying bytes (mode tcp) → the instances, the cheapest hop there
/// is, which bounds what any hop reaches on this machine; and nginx → the instances over kept connections
/// (fastcgi_keep_conn), what reusing connections to libfcgi gives and what its pinned instances cost. Then the same
/// stacks but the kept one from a fresh start: a new `pm serve` for each run, wrk at c=64 from the moment its sockets
/// are there, the stacks taking turns.
/// <code>pm-bench dispatch [--seconds 5] [--turns 2] [--warmup 3] [--web N] [--fresh 5]</code>
/// </summary>
public static class DispatchBench
{
    private const int Instances = 8;
    private const int KeptConnections = 8;
    private static readonly TimeSpan KeptTimeout = TimeSpan.FromSeconds(1);
    private static readonly int[] Concurrency = [1, 8, 64];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 5);
        var turns = Option(args, "--turns", 2);
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
        var relay = Path.Combine(dir, "relay.sock");
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
        Process? haproxy = null;
        var pm = BenchEnvironment.StartPm(config, "serve");
        try
        {
            await BenchEnvironment.WaitForFileAsync(appSocket, TimeSpan.FromSeconds(20));
            await BenchEnvironment.WaitForFileAsync(dispatch, TimeSpan.FromSeconds(20));
            if (HaProxy.Installed)
            {
                haproxy = await HaProxy.StartAsync(HaProxy.WriteTcpRelay(Path.Combine(dir, "haproxy"), relay, appSocket), relay);
            }

            var locations = new List<string>
            {
                Nginx.FastCgiLocation("/direct", appSocket),
                DispatchLocation("/dispatch", $"fastcgi_param PM_APP {hello};"),
                DispatchLocation("/fcgi-bin/", $"root {dir};"),
                KeptLocation("/kept", appSocket),
            };
            if (haproxy is not null)
            {
                locations.Add(Nginx.FastCgiLocation("/relay", relay));
            }

            nginx = Nginx.Start(Nginx.WriteConfig(Path.Combine(dir, "nginx"), nginxPort, 1, Upstream(dispatch, appSocket), [.. locations]));
            var direct = $"http://127.0.0.1:{nginxPort}/direct";
            var viaPm = $"http://127.0.0.1:{nginxPort}/dispatch";
            await HttpProbe.WaitAnswerAsync(nginxPort, "/direct", TimeSpan.FromSeconds(20));
            if ((await HttpProbe.GetAsync(nginxPort, "/dispatch")) is { Status: not 200 } refused)
            {
                Console.Error.WriteLine($"pm-bench dispatch: the dispatcher answered {refused.Status}: {refused.Text}");
                return 1;
            }

            var stacks = new List<(string Name, string Url)> { ("nginx → dispatcher → instances", viaPm), ("nginx → instances", direct) };
            if (haproxy is not null)
            {
                stacks.Add(("nginx → HAProxy (tcp relay) → instances", $"http://127.0.0.1:{nginxPort}/relay"));
            }

            stacks.Add(($"nginx → instances, fastcgi_keep_conn ({KeptConnections} kept)", $"http://127.0.0.1:{nginxPort}/kept"));
            foreach (var (_, url) in stacks)
            {
                await Wrk.RunAsync(url, 64, warmUp);
                await LetKeptConnectionsGoAsync(url);
            }

            var urls = stacks.Select(stack => stack.Url).ToList();
            Console.WriteLine();
            Console.WriteLine($"warmed: median of {turns} runs each, the stacks taking turns; ratios against nginx → instances at the same c");
            Console.WriteLine("  c | stack                                            |    req/s  p99 ms | req/s ratio  p99 ratio | µs web CPU/req");
            foreach (var c in Concurrency)
            {
                // Only the dispatcher's runs use the web processes: their CPU over all the turns is its own.
                var before = CpuTicks("pm web " + config);
                var runs = await Turns.RunAsync(urls, c, seconds, turns, LetKeptConnectionsGoAsync);
                var webCpu = (CpuTicks("pm web " + config) - before) * 10_000.0 / Math.Max(1, runs[0].Sum(r => r.Requests));
                PrintPoint(c.ToString(CultureInfo.InvariantCulture), stacks, runs.Select(Wrk.Median).ToList(), webCpu);
            }

            Console.WriteLine();
            Console.WriteLine("goal: nginx → dispatcher → instances at >= 0.85 of nginx → instances' req/s, p99 <= 1.5x. HAProxy's relay is the");
            Console.WriteLine("cheapest hop there is (bytes copied in C, nothing parsed): what it reaches bounds what any hop can reach here.");
            Console.WriteLine($"fastcgi_keep_conn: nginx keeps up to {KeptConnections} idle connections, each pinning a libfcgi instance; a new connection");
            Console.WriteLine("waits in the shared backlog until an instance lets go (its p99 shows that wait; see AppConnectionPool).");
            BenchEnvironment.Stop(pm);
            await FreshAsync(config, appSocket, dispatch, stacks.Where(stack => !stack.Url.EndsWith("/kept", StringComparison.Ordinal)).ToList(), seconds, turns);

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
                $"fresh start, nginx → dispatcher → dynamic hello (started by the request), {fresh} rounds: first request median {PeerTable.Median(firsts):0.00} ms [{firsts.Min():0.00}–{firsts.Max():0.00}], next {PeerTable.Median(nexts):0.00} ms"));
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

            if (haproxy is not null)
            {
                await HaProxy.StopAsync(haproxy);
            }

            if (!pm.HasExited)
            {
                BenchEnvironment.Stop(pm);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// From a fresh start: for each stack in turn, a new `pm serve` and wrk at c=64 from the moment the sockets the
    /// stack needs are there (the instances may still be starting, for every stack alike), `turns` rounds.
    /// </summary>
    private static async Task FreshAsync(string config, string appSocket, string dispatch, List<(string Name, string Url)> stacks, int seconds, int turns)
    {
        var runs = stacks.Select(_ => new List<Wrk.Result>()).ToArray();
        for (var turn = 0; turn < turns; turn++)
        {
            foreach (var i in Turns.Order(turn, stacks.Count))
            {
                // The PM makes its sockets anew; a leftover path would pass for a listening stack.
                File.Delete(appSocket);
                File.Delete(dispatch);
                var pm = BenchEnvironment.StartPm(config, "serve");
                try
                {
                    await BenchEnvironment.WaitForFileAsync(appSocket, TimeSpan.FromSeconds(20), pm);
                    await BenchEnvironment.WaitForFileAsync(dispatch, TimeSpan.FromSeconds(20), pm);
                    runs[i].Add(await Wrk.RunAsync(stacks[i].Url, 64, seconds));
                }
                finally
                {
                    BenchEnvironment.Stop(pm);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"fresh start: c=64 for the first {seconds} s after `pm serve` starts, a new one for each run; median of {turns} runs each");
        PrintPoint("64", stacks, runs.Select(Wrk.Median).ToList(), webCpu: null);
    }

    private static void PrintPoint(string c, List<(string Name, string Url)> stacks, List<Wrk.Result> medians, double? webCpu)
    {
        var direct = medians[1];
        for (var i = 0; i < stacks.Count; i++)
        {
            var m = medians[i];
            if (m.Errors is not null)
            {
                Console.WriteLine($"    {m.Command}: {m.Errors}");
            }

            var cpu = i == 0 && webCpu is { } value ? value.ToString("0.0", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c,3} | {stacks[i].Name,-48} | {m.Rps,8:0} {m.P99,7:0.00} | {m.Rps / direct.Rps,11:0.00} {m.P99 / direct.P99,10:0.00} | {cpu,14}"));
        }
    }

    private static string Upstream(string dispatch, string appSocket) => $$"""
            upstream pm_dispatch {
                server unix:{{dispatch}};
                keepalive 32;
            }
            upstream kept {
                server unix:{{appSocket}};
                keepalive {{KeptConnections}};
                keepalive_timeout {{KeptTimeout.TotalSeconds}}s;
            }
        """;

    /// <summary>nginx → the instances' socket over kept connections (fastcgi_keep_conn), which libfcgi honours.</summary>
    private static string KeptLocation(string location, string appSocket) =>
        Nginx.FastCgiLocation(location, appSocket).Replace($"fastcgi_pass unix:{appSocket};", "fastcgi_pass kept;\n        fastcgi_keep_conn on;", StringComparison.Ordinal);

    /// <summary>
    /// After a run over kept connections, waits for nginx to close them: each pins an instance, and the next run's
    /// new connections would wait behind them.
    /// </summary>
    private static Task LetKeptConnectionsGoAsync(string url) =>
        url.EndsWith("/kept", StringComparison.Ordinal) ? Task.Delay(KeptTimeout + TimeSpan.FromMilliseconds(500)) : Task.CompletedTask;

    /// <summary>A location passing to the dispatcher over kept connections, with Debian's stock fastcgi_params.</summary>
    private static string DispatchLocation(string location, string extra) => $$"""
            location {{location}} {
                include /etc/nginx/fastcgi_params;
                {{extra}}
                fastcgi_pass pm_dispatch;
                fastcgi_keep_conn on;
            }
        """;

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
