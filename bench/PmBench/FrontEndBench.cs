using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Pm.Bench;

/// <summary>
/// The front end against nginx, side by side in one run, on the same pool of 8 libfcgi hello processes that
/// `pm serve` supervises: wrk → our web processes → pool, and wrk → nginx (a temporary config, fastcgi_pass to the
/// pool's socket, one connection per request like ours for libfcgi, worker_processes = our web processes) → pool.
/// At concurrency 1, 16 and 64: requests/s, p50 and p99 latency from wrk, and the CPU each front end spent per request
/// (from /proc), then the ratios. Prints numbers; asserts nothing.
/// <code>pm-bench frontend [--seconds 10] [--warmup 5] [--web N] [--rounds 1]   (Release build; scripts/setup.sh --bench installs wrk and nginx)</code>
/// </summary>
public static class FrontEndBench
{
    private const int Instances = 8;
    private static readonly int[] Concurrency = [1, 16, 64];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var warmUp = Option(args, "--warmup", 5);
        var web = Option(args, "--web", Environment.ProcessorCount);
        var rounds = Option(args, "--rounds", 1);
        if (!File.Exists(Wrk.Path) || !File.Exists(Nginx.Path))
        {
            Console.Error.WriteLine("pm-bench frontend needs wrk and nginx: scripts/setup.sh --bench installs them");
            return 2;
        }

        var dir = BenchEnvironment.WorkDirectory();
        var hello = BenchEnvironment.BuildHelloC(dir);
        var ipc = Path.Combine(dir, "ipc");
        var appSocket = Path.Combine(ipc, "hello");
        var ourPort = BenchEnvironment.FreePort();
        var nginxPort = BenchEnvironment.FreePort();
        var config = Path.Combine(dir, "frontend.conf");
        await File.WriteAllTextAsync(config, $"""
            FastCgiIpcDir {ipc}
            PmListen 127.0.0.1:{ourPort}
            PmWebProcesses {web}
            FastCgiServer {hello} -socket hello -processes {Instances} -url /hello -listen-queue-depth 1024
            """);

        Console.WriteLine($"pm-bench frontend: {Environment.ProcessorCount} cores, {Instances} libfcgi hello processes, {web} web process(es) and {web} nginx worker(s), " +
            $"wrk {seconds} s per run after {warmUp} s warm-up, {rounds} round(s), build {(BenchEnvironment.Pm.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug")}");
        using var pm = StartPm(config);
        Process? nginx = null;
        try
        {
            await BenchEnvironment.WaitForFileAsync(appSocket, TimeSpan.FromSeconds(20));
            await WaitForHttpAsync(ourPort, "/hello");
            nginx = StartNginx(dir, appSocket, nginxPort, web);
            await WaitForHttpAsync(nginxPort, "/hello");

            var ours = $"http://127.0.0.1:{ourPort}/hello";
            var theirs = $"http://127.0.0.1:{nginxPort}/hello";
            await Wrk.RunAsync(ours, 64, warmUp);
            await Wrk.RunAsync(theirs, 64, warmUp);

            Console.WriteLine();
            Console.WriteLine("  c |     pm req/s    p50 ms    p99 ms  µs CPU/req |  nginx req/s    p50 ms    p99 ms  µs CPU/req | req/s ratio  p99 ratio");
            for (var round = 0; round < rounds; round++)
            {
                foreach (var c in Concurrency)
                {
                    var a = await MeasureAsync(ours, c, seconds, pm.Id, "pm web " + config);
                    var b = await MeasureAsync(theirs, c, seconds, nginx.Id, "nginx: worker process");
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{c,3} | {a.Rps,12:0} {a.P50,9:0.00} {a.P99,9:0.00} {a.CpuPerRequest,10:0.0} | {b.Rps,12:0} {b.P50,9:0.00} {b.P99,9:0.00} {b.CpuPerRequest,10:0.0} | {a.Rps / b.Rps,11:0.00} {a.P99 / b.P99,10:0.00}"));
                }
            }

            Console.WriteLine();
            Console.WriteLine("req/s ratio = pm / nginx (goal at c=64: >= 1.00); p99 ratio = pm / nginx (goal at c=64: <= 1.20).");
            Console.WriteLine("µs CPU/req: user+system time of the front end's processes (pm web, or nginx workers) per request answered.");
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

            BenchEnvironment.Stop(pm);
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Figures(double Rps, double P50, double P99, double CpuPerRequest);

    private static async Task<Figures> MeasureAsync(string url, int connections, int seconds, int parent, string processPattern)
    {
        var before = CpuTicks(parent, processPattern);
        var run = await Wrk.RunAsync(url, connections, seconds);
        var after = CpuTicks(parent, processPattern);
        if (run.Errors is not null)
        {
            Console.WriteLine($"    wrk against {url}: {run.Errors}");
        }

        return new Figures(run.Rps, run.P50, run.P99,
            run.Requests == 0 ? 0 : (after - before) * (1_000_000.0 / TicksPerSecond) / run.Requests);
    }

    private const double TicksPerSecond = 100; // USER_HZ: /proc/PID/stat times are in 1/100 s on Linux

    /// <summary>utime + stime of the children of <paramref name="parent"/> whose command line contains <paramref name="pattern"/>.</summary>
    private static long CpuTicks(int parent, string pattern)
    {
        long total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (!cmdline.Contains(pattern, StringComparison.Ordinal))
                {
                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) != parent)
                {
                    continue;
                }

                total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked.
            }
        }

        return total;
    }

    private static Process StartPm(string config)
    {
        var info = new ProcessStartInfo(BenchEnvironment.Pm, ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("pm: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static Process StartNginx(string dir, string appSocket, int port, int workers) =>
        Nginx.Start(Nginx.WriteConfig(Path.Combine(dir, "nginx"), port, workers, Nginx.FastCgiLocation("/hello", appSocket)));

    private static async Task WaitForHttpAsync(int port, string path)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"nothing answers 200 on port {port}{path}");
            }

            await Task.Delay(50);
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
