using System.Globalization;
using System.Text.RegularExpressions;
using Pm.Bench.Peers;
using Pm.Posix;

namespace Pm.Bench;

/// <summary>
/// Restarts under load (issue 9): wrk at c=64 for the whole run against a pool of 8 instances, while the pool is
/// restarted again and again, beside the same pool left alone. Rows: pm serve with libfcgi hello-c (`pm restart APP`
/// in a loop; SIGHUP reloads in a loop, each changing the app's -initial-env so its instances and the web processes
/// roll); pm serve with php-cgi (pm restart in a loop); and the peer, php-fpm with 8 static children behind nginx
/// (SIGUSR2, its graceful reload, in a loop). Restarts come one a second at most (the next waits for the one before
/// to complete). For each: restarts completed, requests, failed requests (wrk's socket errors and non-2xx answers),
/// p50/p99, and the ratio of p99 to the same stack's steady p99. Prints numbers; asserts nothing.
/// Each stack's first row is measured from its fresh start (restarts with the first load, no warm-up), the others
/// after a 2 s warm-up.
/// <code>pm-bench rolling [--seconds 10] [--rounds 1]   (Release build; scripts/setup.sh --bench installs wrk, nginx, php-fpm)</code>
/// </summary>
public static partial class RollingRestartBench
{
    private const int Instances = 8;
    private const int Connections = 64;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var rounds = Option(args, "--rounds", 1);
        if (!File.Exists(Wrk.Path))
        {
            Console.Error.WriteLine("pm-bench rolling needs wrk: scripts/setup.sh --bench installs it");
            return 2;
        }

        var dir = BenchEnvironment.WorkDirectory();
        var setup = new PeerSetup(dir);
        Console.WriteLine($"pm-bench rolling: {Environment.ProcessorCount} cores, {Instances} instances per pool, wrk c={Connections} for {seconds} s per row, {rounds} round(s); pm {BenchEnvironment.PmKind}; work dir {dir}");
        Console.WriteLine($"{"stack",-44} {"restarts",8} {"requests",9} {"failed",7} {"p50 ms",8} {"p99 ms",8} {"p99/steady",10}");
        for (var round = 0; round < rounds; round++)
        {
            await PmRowsAsync(setup, "hello-c", setup.Hello, "/hello", seconds, sighup: true);
            if (File.Exists("/usr/bin/php-cgi"))
            {
                await PmRowsAsync(setup, "php-cgi", "/usr/bin/php-cgi", "/php/hello.php", seconds, sighup: false);
            }

            if (PeerSetup.PhpFpm is not null && PeerSetup.HasNginx)
            {
                await PhpFpmRowsAsync(setup, seconds);
            }
            else
            {
                Console.WriteLine("php-fpm + nginx: not installed (scripts/setup.sh --bench)");
            }
        }

        return 0;
    }

    /// <summary>pm serve with 8 instances of the app: steady, `pm restart` looped, and (hello-c) SIGHUP looped.</summary>
    private static async Task PmRowsAsync(PeerSetup setup, string label, string app, string path, int seconds, bool sighup)
    {
        var name = "rolling-" + label;
        var ipc = Path.Combine(setup.Dir, "ipc-" + name);
        var port = BenchEnvironment.FreePort();
        var config = Path.Combine(setup.Dir, name + ".conf");
        var php = app.EndsWith("php-cgi", StringComparison.Ordinal);
        string Config(int generation) => $"""
            FastCgiIpcDir {ipc}
            PmListen 127.0.0.1:{port}
            FastCgiServer {app} -socket app -processes {Instances} -url {(php ? "/php" : "/hello")} -listen-queue-depth 1024 {(php ? $"-document-root {setup.PhpRoot} -initial-env PHP_FCGI_CHILDREN=0 -initial-env PHP_FCGI_MAX_REQUESTS=0" : "")} -initial-env GENERATION={generation}
            """ + "\n";
        await File.WriteAllTextAsync(config, Config(0));
        var log = Path.Combine(setup.Logs, name + ".pm.log");
        var pm = GroupedProcess.Start("pm", BenchEnvironment.Pm, ["serve", config], log);
        try
        {
            await BenchEnvironment.WaitForFileAsync(Path.Combine(ipc, "app"), TimeSpan.FromSeconds(30));
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
            {
                await BenchEnvironment.WaitForHttpAsync(http);
                await WaitForOkAsync(http, path);
            }

            var url = $"http://127.0.0.1:{port}{path}";
            var appName = app;
            async Task RestartAsync(CancellationToken cancel)
            {
                var before = Count(log, RolledOver());
                await RunPmAsync(["restart", appName, "--ipc-dir", ipc], cancel);
                await WaitForAsync(() => Count(log, RolledOver()) > before, cancel);
            }

            // From a fresh start, as a user meets it: the restarts begin with the first load, before any warm-up.
            var fresh = await UnderLoadAsync(url, seconds, RestartAsync);
            await Wrk.RunAsync(url, Connections, 2); // warm-up
            var steady = await Wrk.RunAsync(url, Connections, seconds);
            Print($"pm serve, {label} x{Instances}: steady", 0, steady, steady);
            Print($"pm serve, {label} x{Instances}: pm restart, fresh start", fresh.Count, fresh.Result, steady);
            var restarts = await UnderLoadAsync(url, seconds, RestartAsync);
            Print($"pm serve, {label} x{Instances}: pm restart looped", restarts.Count, restarts.Result, steady);

            if (sighup)
            {
                var generation = 0;
                var reloads = await UnderLoadAsync(url, seconds, async cancel =>
                {
                    var before = Count(log, ReloadDone());
                    await File.WriteAllTextAsync(config, Config(++generation), cancel);
                    ChildProcess.SignalProcess(pm.Pid, Signals.SIGHUP);
                    await WaitForAsync(() => Count(log, ReloadDone()) > before, cancel);
                });
                Print($"pm serve, {label} x{Instances}: SIGHUP (app + web) looped", reloads.Count, reloads.Result, steady);
            }
        }
        finally
        {
            await pm.StopAsync(Signals.SIGTERM, TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>php-fpm, pm = static with 8 children, behind nginx (one worker per core): steady, then SIGUSR2 looped.</summary>
    private static async Task PhpFpmRowsAsync(PeerSetup setup, int seconds)
    {
        const string name = "rolling-php-fpm";
        var root = Directory.CreateDirectory(Path.Combine(setup.Dir, name)).FullName;
        var config = Path.Combine(root, "php-fpm.conf");
        var socket = Path.Combine(root, "php-fpm.sock");
        var errorLog = Path.Combine(root, "error.log");
        var user = Environment.UserName;
        await File.WriteAllTextAsync(config, $"""
            [global]
            pid = {root}/php-fpm.pid
            error_log = {errorLog}
            daemonize = no
            [www]
            user = {user}
            group = {user}
            listen = {socket}
            listen.backlog = 1024
            pm = static
            pm.max_children = {Instances}
            """ + "\n");
        var port = BenchEnvironment.FreePort();
        var nginxConfig = Nginx.WriteConfig(Path.Combine(root, "nginx"), port, Environment.ProcessorCount, Nginx.FastCgiLocation(@"~ \.php$", socket, setup.PhpRoot));
        var fpm = GroupedProcess.Start("php-fpm", PeerSetup.PhpFpm!, ["--nodaemonize", "--allow-to-run-as-root", "--fpm-config", config], Path.Combine(setup.Logs, name + ".log"));
        GroupedProcess? nginx = null;
        try
        {
            await BenchEnvironment.WaitForFileAsync(socket, TimeSpan.FromSeconds(30));
            nginx = GroupedProcess.Start("nginx", Nginx.Path, Nginx.Arguments(nginxConfig), Path.Combine(setup.Logs, name + ".nginx.log"));
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
            {
                await WaitForOkAsync(http, "/hello.php");
            }

            var url = $"http://127.0.0.1:{port}/hello.php";
            async Task ReloadAsync(CancellationToken cancel)
            {
                var before = Count(errorLog, FpmReady());
                ChildProcess.SignalProcess(fpm.Pid, Signals.SIGUSR2);
                await WaitForAsync(() => Count(errorLog, FpmReady()) > before, cancel);
            }

            var fresh = await UnderLoadAsync(url, seconds, ReloadAsync);
            await Wrk.RunAsync(url, Connections, 2);
            var steady = await Wrk.RunAsync(url, Connections, seconds);
            Print($"php-fpm static x{Instances} + nginx: steady", 0, steady, steady);
            Print($"php-fpm static x{Instances} + nginx: SIGUSR2, fresh start", fresh.Count, fresh.Result, steady);
            var reloads = await UnderLoadAsync(url, seconds, ReloadAsync);
            Print($"php-fpm static x{Instances} + nginx: SIGUSR2 looped", reloads.Count, reloads.Result, steady);
        }
        finally
        {
            if (nginx is not null)
            {
                await nginx.StopAsync(Signals.SIGTERM, TimeSpan.FromSeconds(10));
            }

            await fpm.StopAsync(Signals.SIGTERM, TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>wrk for <paramref name="seconds"/> while <paramref name="restart"/> runs again and again; how many completed.</summary>
    private static async Task<(int Count, Wrk.Result Result)> UnderLoadAsync(string url, int seconds, Func<CancellationToken, Task> restart)
    {
        using var stop = new CancellationTokenSource();
        var load = Wrk.RunAsync(url, Connections, seconds);
        var done = 0;
        var loop = Task.Run(async () =>
        {
            // One restart a second (the next waits for the one before to complete), so that every stack is restarted
            // about as often and failures per restart compare.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var next = 1; !stop.IsCancellationRequested; next++)
            {
                var wait = TimeSpan.FromSeconds(next) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop.Token);
                }

                await restart(stop.Token);
                done++;
            }
        });
        var result = await load;
        stop.Cancel();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // The restart under way when wrk ended is not counted.
        }

        return (done, result);
    }

    private static void Print(string stack, int restarts, Wrk.Result r, Wrk.Result steady)
    {
        var failed = Failed(r);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{stack,-44} {restarts,8} {r.Requests,9} {failed,7} {r.P50,8:0.00} {r.P99,8:0.00} {r.P99 / steady.P99,10:0.00}x");
        Console.WriteLine(r.Errors is null ? line : $"{line}  ({r.Errors})");
    }

    /// <summary>Socket errors (connect, read, write, timeout) and non-2xx/3xx answers, summed from wrk's lines.</summary>
    private static long Failed(Wrk.Result r) => r.Errors is null ? 0 : Counts().Matches(r.Errors).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    private static int Count(string file, Regex line)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return line.Matches(reader.ReadToEnd()).Count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("a restart did not complete within 60 s");
            }

            await Task.Delay(10, cancel);
        }
    }

    private static async Task WaitForOkAsync(HttpClient http, string path)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{path} did not answer 200 within 30 s");
            }

            await Task.Delay(50);
        }
    }

    private static async Task RunPmAsync(string[] args, CancellationToken cancel)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(BenchEnvironment.Pm, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync(cancel);
        var errors = process.StandardError.ReadToEndAsync(cancel);
        await process.WaitForExitAsync(cancel);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pm {string.Join(' ', args)}: exit {process.ExitCode}: {await output}{await errors}");
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    [GeneratedRegex(@"rolled over: pm restart")]
    private static partial Regex RolledOver();

    [GeneratedRegex(@"reload \(SIGHUP\): done")]
    private static partial Regex ReloadDone();

    [GeneratedRegex(@"ready to handle connections")]
    private static partial Regex FpmReady();

    [GeneratedRegex(@"(?:responses:|connect|read|write|timeout) (\d+)")]
    private static partial Regex Counts();
}
