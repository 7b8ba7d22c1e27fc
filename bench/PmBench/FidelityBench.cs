using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pm.Config;
using Pm.Control;
using Pm.Engine;
using Pm.Simulation;
using Pm.Status;

namespace Pm.Bench;

/// <summary>
/// Whether `pm simulate` predicts what the PM does. For each trace: a real `pm serve --record-trace` with a dynamic
/// root holding bench/PmBench/apps/slow.c under one name per trace app, the trace replayed open-loop over HTTP
/// (each request sent at its arrival time with <c>?ms=SERVICE</c>, whatever the earlier ones are doing), and, from the
/// PM's side: spawns, retirements and instance-seconds from its log, spawn-to-ready latency from `pm status` polls,
/// the p99 wait from the client (latency minus the service time asked for). Then the simulator replays (a) the trace
/// as sent and (b) the trace the PM recorded, with the root's policy and a spawn latency fitted to what the PM
/// achieved, and the figures are printed side by side with sim/PM ratios and the tolerances of the fidelity goal.
/// <para>
/// Constraints: the machine is shared (2 cores), so the client must be cheap (one HttpClient, one scheduling loop,
/// the sends on the thread pool) and its own lateness is printed, so a late client is not taken for a slow PM. Both
/// sides are measured over the same window, trace zero to the last arrival plus the cool-down. The policy's own
/// timings (idleTimeout, spawn rate) are not scaled by <c>--speed</c>: a compressed run checks agreement on a
/// different load, not the real-time figures.
/// </para>
/// </summary>
public static class FidelityBench
{
    private const double InstanceSecondsTolerance = 0.10;
    private const double SpawnsTolerance = 0.10;
    private const double WaitTolerance = 0.20;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    // Log lines of the PM (src/Pm/Dynamic/DynamicAppManager.cs, src/Pm/Supervision/InstanceLifecycle.cs).
    private static readonly Regex Started = new(@"app (\S+): started pid (\d+)", RegexOptions.Compiled);
    private static readonly Regex Retiring = new(@"app (\S+): policy \S+: retiring pid (\d+)", RegexOptions.Compiled);
    private static readonly Regex Exited = new(@"app (\S+): pid (\d+) exited", RegexOptions.Compiled);
    private static readonly Regex Cancelling = new(@"app (\S+): policy \S+: cancelling (\d+) pending", RegexOptions.Compiled);

    private sealed record Options(IReadOnlyList<string> Traces, double Speed, TimeSpan CoolDown, string RootOptions, bool AnswerAtEnd);

    /// <summary>One request as the client saw it, in seconds since trace zero.</summary>
    private sealed record Sent(TraceRequest Request, double SentAt, double Done, bool Ok);

    private sealed record PolledInstance(int Pid, string State, double StartedAt);

    private sealed record Poll(double At, IReadOnlyList<PolledInstance> Instances, IReadOnlyDictionary<string, double>? Load);

    /// <summary>What the PM did over the window.</summary>
    private sealed record PmFigures(
        double InstanceSeconds,
        double PolledInstanceSeconds,
        int Spawns,
        int Retirements,
        int CancelledStarts,
        int MaxInstances,
        int FinalInstances,
        List<double> SpawnLatencies,
        List<double> StopLatencies,
        double? PolicyStartLatency,
        double P50Wait,
        double P99Wait,
        int Errors,
        double P99Lateness,
        int MaxInFlight);

    public static async Task<int> RunAsync(string[] args)
    {
        if (ParseOptions(args) is not { } options)
        {
            Console.Error.WriteLine("usage: pm-bench fidelity [--traces burst,spike,steady,diurnal|FILE.csv] [--speed X] [--cooldown SECONDS] [--root-options \"-policy spare ...\"] [--answer-at-end]");
            return 2;
        }

        var dir = BenchEnvironment.WorkDirectory();
        var slow = BenchEnvironment.BuildSlowC(dir);
        foreach (var name in options.Traces)
        {
            await RunTraceAsync(name, options, slow, dir);
        }

        return 0;
    }

    private static Options? ParseOptions(string[] args)
    {
        var traces = new List<string> { "burst", "spike" };
        var speed = 1.0;
        var coolDown = 20.0;
        var rootOptions = "";
        var atEnd = false;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--traces" when value is not null:
                    traces = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    i++;
                    break;
                case "--speed" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out speed) && speed > 0:
                    i++;
                    break;
                case "--cooldown" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out coolDown) && coolDown >= 0:
                    i++;
                    break;
                case "--root-options" when value is not null:
                    rootOptions = value;
                    i++;
                    break;
                case "--answer-at-end":
                    atEnd = true;
                    break;
                default:
                    return null;
            }
        }

        return traces.Count == 0 ? null : new Options(traces, speed, TimeSpan.FromSeconds(coolDown), rootOptions, atEnd);
    }

    private static async Task RunTraceAsync(string name, Options options, string slow, string dir)
    {
        var path = name.EndsWith(".csv", StringComparison.Ordinal) ? name : Path.Combine(BenchEnvironment.RepoRoot, "examples/traces", name + ".csv");
        var shipped = AsSent(TraceReader.ReadFile(path), options.Speed);
        var label = Path.GetFileNameWithoutExtension(path);
        var work = Directory.CreateDirectory(Path.Combine(dir, "fidelity-" + label)).FullName;
        var root = Directory.CreateDirectory(Path.Combine(work, "fcgi-bin")).FullName;
        var warmRoot = Directory.CreateDirectory(Path.Combine(work, "warm")).FullName;
        var files = MapApps(shipped.Apps, root);
        foreach (var file in files.Values)
        {
            File.Copy(slow, file, true);
        }

        File.Copy(slow, Path.Combine(warmRoot, "warm.fcgi"), true);
        var recordedPath = Path.Combine(work, "recorded.csv");
        File.Delete(recordedPath);
        var port = BenchEnvironment.FreePort();
        var config = Path.Combine(work, "fidelity.conf");

        // The warm-up app has a root (a policy) of its own, so nothing it does reaches the measured app's policy.
        await File.WriteAllTextAsync(config, $"""
            FastCgiIpcDir {work}/ipc
            PmListen 127.0.0.1:{port}
            PmWebProcesses 2
            PmDynamicRoot /fcgi-bin/ {root} {options.RootOptions}
            PmDynamicRoot /warm/ {warmRoot}
            """);
        var pmConfig = PmConfig.Load(config);
        var windowEnd = shipped.Duration.TotalSeconds + options.CoolDown.TotalSeconds;
        Console.WriteLine($"trace {label}: {shipped.Requests.Count} requests over {shipped.Duration.TotalSeconds:0.0} s (speed {options.Speed:0.##}), then {options.CoolDown.TotalSeconds:0} s of cool-down; " +
            $"policy {pmConfig.DynamicRoots[0].Policy}");

        var pm = BenchEnvironment.StartPm(config, "serve", "--record-trace", recordedPath);
        List<Sent> sent;
        List<Poll> polls;
        DateTimeOffset t0;
        int maxInFlight;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(10),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
                Timeout = TimeSpan.FromSeconds(60),
            };
            await BenchEnvironment.WaitForHttpAsync(http);

            // A server that has run a while has its code compiled: both web processes' dynamic paths, and a pool of
            // connections the replay then reuses, are warmed on an app that is not measured.
            for (var i = 0; i < 4; i++)
            {
                await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => http.GetAsync("warm/warm.fcgi?ms=1")));
            }

            t0 = DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
            var start = t0;
            double Now() => (DateTimeOffset.UtcNow - start).TotalSeconds;
            using var stopPolling = new CancellationTokenSource();
            var ipcDir = pmConfig.IpcDir;
            var appPaths = files.Values.ToHashSet(StringComparer.Ordinal);
            var polling = PollAsync(ipcDir, appPaths, t0, stopPolling.Token);
            (sent, maxInFlight) = await ReplayAsync(http, shipped, files, options.AnswerAtEnd, Now);
            var rest = windowEnd - Now();
            if (rest > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(rest));
            }

            await stopPolling.CancelAsync();
            polls = await polling;
        }
        finally
        {
            BenchEnvironment.Stop(pm);
            pm.WaitForExit(); // and the end of its output, so pm.log is complete
        }

        var pmFigures = Measure(ReadLines(Path.Combine(work, "pm.log")), files.Values.ToHashSet(StringComparer.Ordinal), t0, windowEnd, sent, polls, maxInFlight);
        var latency = FitSpawnLatency(pmFigures.SpawnLatencies, pmFigures.PolicyStartLatency);
        var stop = pmFigures.StopLatencies.Count > 0 ? TimeSpan.FromSeconds(Median(pmFigures.StopLatencies)) : TimeSpan.FromMilliseconds(10);
        var recorded = Realign(TraceReader.ReadFile(recordedPath), appPaths: files.Values.ToHashSet(StringComparer.Ordinal), shipped);
        var root0 = pmConfig.DynamicRoots[0];
        var policy = PolicyRunSpec.FromSettings(root0.Policy);
        var appConnTimeout = pmConfig.Dynamic.Request.AppConnTimeout > TimeSpan.Zero ? pmConfig.Dynamic.Request.AppConnTimeout : pmConfig.Dynamic.Request.IdleTimeout;
        PolicyRunReport Simulate(Trace trace) => SimulationRunner.Run(new SimulationSpec(trace, [policy])
        {
            SpawnLatency = latency,
            StopLatency = stop,
            AppConnTimeout = appConnTimeout,
            CoolDown = TimeSpan.FromSeconds(windowEnd) - trace.Duration,
        })[0];
        var simShipped = Simulate(shipped);
        var simRecorded = Simulate(recorded);
        Print(pmFigures, simShipped, simRecorded, latency, stop, shipped, recorded);
    }

    /// <summary>The trace as the client sends it: service times divided by the speed and rounded to the 1 ms slow.c sleeps in, arrivals divided by the speed.</summary>
    private static Trace AsSent(Trace trace, double speed) => new(trace.Requests.Select(r => r with
    {
        Arrival = TimeSpan.FromTicks((long)(r.Arrival.Ticks / speed)),
        Service = TimeSpan.FromMilliseconds(Math.Round(r.Service.TotalMilliseconds / speed)),
    }));

    /// <summary>One executable per trace app, named after the app's file (made unique and given the handler extension).</summary>
    private static Dictionary<string, string> MapApps(IReadOnlyList<string> apps, string root)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in apps)
        {
            var stem = Regex.Replace(Path.GetFileNameWithoutExtension(app), "[^A-Za-z0-9_-]", "_");
            var name = stem.Length == 0 ? "app" : stem;
            for (var n = 2; !used.Add(name); n++)
            {
                name = $"{stem}-{n}";
            }

            map[app] = Path.Combine(root, name + ".fcgi");
        }

        return map;
    }

    /// <summary>
    /// Sends every request at its arrival time without waiting for the earlier ones: open loop. The loop only
    /// schedules; each send runs on the thread pool, so a slow connect never delays the next arrival.
    /// </summary>
    private static async Task<(List<Sent> Sent, int MaxInFlight)> ReplayAsync(
        HttpClient http, Trace trace, Dictionary<string, string> files, bool answerAtEnd, Func<double> now)
    {
        var urls = files.ToDictionary(f => f.Key, f => "fcgi-bin/" + Path.GetFileName(f.Value), StringComparer.Ordinal);
        var tasks = new List<Task<Sent>>(trace.Requests.Count);
        var inFlight = 0;
        var maxInFlight = 0;
        foreach (var request in trace.Requests)
        {
            var due = request.Arrival.TotalSeconds;
            double left;
            while ((left = due - now()) > 0.001)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.001, left - 0.001)));
            }

            var url = $"{urls[request.App]}?ms={request.Service.TotalMilliseconds:0}{(answerAtEnd ? "" : "&early=1")}";
            var current = Interlocked.Increment(ref inFlight);
            maxInFlight = Math.Max(maxInFlight, current);
            tasks.Add(Task.Run(async () =>
            {
                var at = now();
                var ok = false;
                try
                {
                    using var response = await http.GetAsync(url);
                    _ = await response.Content.ReadAsByteArrayAsync();
                    ok = response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }

                var done = now();
                Interlocked.Decrement(ref inFlight);
                return new Sent(request, at, done, ok);
            }));
        }

        var all = await Task.WhenAll(tasks);
        return (all.ToList(), maxInFlight);
    }

    /// <summary>`pm status` every <see cref="PollInterval"/>: the measured apps' instances and their states.</summary>
    private static async Task<List<Poll>> PollAsync(string ipcDir, HashSet<string> apps, DateTimeOffset t0, CancellationToken stop)
    {
        var polls = new List<Poll>();
        var socket = IpcLayout.ControlSocket(ipcDir);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var json = await ControlClient.SendAsync(socket, "status", TimeSpan.FromSeconds(5));
                var at = (DateTimeOffset.UtcNow - t0).TotalSeconds;
                var report = JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport)!;
                var measured = report.Apps.Where(a => apps.Contains(a.Name)).ToList();
                polls.Add(new Poll(at,
                    measured.SelectMany(a => a.Instances).Select(i => new PolledInstance(i.Pid, i.State, (i.StartedAt - t0).TotalSeconds)).ToList(),
                    measured.FirstOrDefault()?.Load));
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException or JsonException)
            {
            }

            try
            {
                await Task.Delay(PollInterval, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return polls;
    }

    private static List<string> ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Seconds since trace zero of a PM log line (its timestamp is local time, to the millisecond).</summary>
    private static double? LineTime(string line, DateTimeOffset t0)
    {
        if (line.Length < 23 || !DateTime.TryParseExact(line[..23], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local))
        {
            return null;
        }

        return (new DateTimeOffset(local) - t0).TotalSeconds;
    }

    private static PmFigures Measure(List<string> lines, HashSet<string> apps, DateTimeOffset t0, double windowEnd, List<Sent> sent, List<Poll> polls, int maxInFlight)
    {
        var starts = new Dictionary<int, double>();
        var exits = new Dictionary<int, double>();
        var retired = new Dictionary<int, double>();
        var cancelled = 0;
        foreach (var line in lines)
        {
            if (LineTime(line, t0) is not { } at || at > windowEnd)
            {
                continue;
            }

            if (Retiring.Match(line) is { Success: true } r && apps.Contains(r.Groups[1].Value))
            {
                retired.TryAdd(int.Parse(r.Groups[2].Value, CultureInfo.InvariantCulture), at);
            }
            else if (Started.Match(line) is { Success: true } s && apps.Contains(s.Groups[1].Value))
            {
                starts[int.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture)] = at;
            }
            else if (Exited.Match(line) is { Success: true } e && apps.Contains(e.Groups[1].Value))
            {
                exits.TryAdd(int.Parse(e.Groups[2].Value, CultureInfo.InvariantCulture), at);
            }
            else if (Cancelling.Match(line) is { Success: true } c && apps.Contains(c.Groups[1].Value))
            {
                cancelled += int.Parse(c.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        // Instance-seconds: each instance from its start line to its exit line (or the window's end).
        var instanceSeconds = 0.0;
        var changes = new List<(double At, int Delta)>();
        foreach (var (pid, start) in starts)
        {
            var end = exits.TryGetValue(pid, out var x) && x >= start ? x : windowEnd;
            instanceSeconds += Math.Max(0, Math.Min(end, windowEnd) - Math.Max(start, 0));
            changes.Add((start, 1));
            if (end < windowEnd)
            {
                changes.Add((end, -1));
            }
        }

        var live = 0;
        var maxLive = 0;
        foreach (var change in changes.OrderBy(c => c.At).ThenBy(c => c.Delta))
        {
            live += change.Delta;
            maxLive = Math.Max(maxLive, live);
        }

        // The same from the polls, as a check of the log's reading.
        var polled = 0.0;
        for (var i = 1; i < polls.Count; i++)
        {
            polled += polls[i - 1].Instances.Count * (Math.Min(polls[i].At, windowEnd) - Math.Max(polls[i - 1].At, 0));
        }

        // Spawn to ready, as the PM sees it: the instance leaves "starting" between two polls; the midpoint is taken.
        var latencies = new List<double>();
        var seenReady = new HashSet<int>();
        for (var i = 0; i < polls.Count; i++)
        {
            foreach (var instance in polls[i].Instances)
            {
                if (instance.State is "idle" or "busy" && seenReady.Add(instance.Pid))
                {
                    var before = i > 0 ? Math.Max(polls[i - 1].At, instance.StartedAt) : instance.StartedAt;
                    latencies.Add(Math.Max(0, ((before + polls[i].At) / 2) - instance.StartedAt));
                }
                else if (instance.State == "stopping")
                {
                    seenReady.Add(instance.Pid);
                }
            }
        }

        var stops = retired.Where(r => exits.ContainsKey(r.Key)).Select(r => exits[r.Key] - r.Value).Where(d => d >= 0).ToList();
        var ok = sent.Where(s => s.Ok).ToList();
        var waits = ok.Select(s => Math.Max(0, s.Done - s.SentAt - s.Request.Service.TotalSeconds)).OrderBy(w => w).ToList();
        var lateness = sent.Select(s => s.SentAt - s.Request.Arrival.TotalSeconds).OrderBy(l => l).ToList();
        var policyLatency = polls.LastOrDefault(p => p.Load is not null && p.Load.ContainsKey("startLatency"))?.Load!["startLatency"];
        return new PmFigures(instanceSeconds, polled, starts.Count(s => s.Value >= 0), retired.Count, cancelled, maxLive,
            polls.Count > 0 ? polls[^1].Instances.Count : 0, latencies, stops, policyLatency,
            Percentile(waits, 0.50), Percentile(waits, 0.99), sent.Count - ok.Count, Percentile(lateness, 0.99), maxInFlight);
    }

    /// <summary>
    /// A log-normal whose median is the start latency the PM's policy measured (its <c>startLatency</c> figure), its
    /// sigma the spread of the logarithms of the spawn-to-ready samples; a fixed latency with fewer than 3 samples,
    /// and the simulator's default 0.2 s with none (said so when printed).
    /// <para>
    /// Why the policy's figure and not the samples' median: the policy decides with the latency it perceives, from
    /// the moments the PM looks (an instance first seen ready, or already busy, at a probe or an evaluation), which is
    /// later than the instance really is ready; the simulator sees every instance at once. On the steady trace the
    /// samples' median (17 ms) made the simulated policy start 17 instances where the PM started 4, because a start
    /// that fast seems to beat waiting for a busy instance's 50 ms request; with the PM's own 78 ms it started 4.
    /// </para>
    /// </summary>
    private static SpawnLatencyModel FitSpawnLatency(List<double> samples, double? policyLatency)
    {
        var positive = samples.Where(s => s > 0).ToList();
        if (positive.Count == 0)
        {
            return new FixedSpawnLatency(TimeSpan.FromSeconds(policyLatency ?? 0.2));
        }

        var median = policyLatency is > 0 and var perceived ? perceived : Median(positive);
        if (positive.Count < 3)
        {
            return new FixedSpawnLatency(TimeSpan.FromSeconds(median));
        }

        var logs = positive.Select(s => Math.Log(s)).ToList();
        var mean = logs.Average();
        var sigma = Math.Sqrt(logs.Sum(l => (l - mean) * (l - mean)) / (logs.Count - 1));
        return new LogNormalSpawnLatency(TimeSpan.FromSeconds(median), sigma);
    }

    /// <summary>
    /// The PM's recording of the measured apps, put on the sent trace's clock: the recording's zero is the first
    /// completion it saw (a warm-up request), so its first measured arrival is moved to the sent trace's first arrival.
    /// App ids are the executables' paths; the simulator gives each its own policy instance either way.
    /// </summary>
    private static Trace Realign(Trace recorded, HashSet<string> appPaths, Trace shipped)
    {
        var measured = recorded.Requests.Where(r => appPaths.Contains(r.App)).ToList();
        if (measured.Count == 0 || shipped.Requests.Count == 0)
        {
            return new Trace(measured);
        }

        var shift = shipped.Requests[0].Arrival - measured[0].Arrival;
        return new Trace(measured.Select(r => r with { Arrival = r.Arrival + shift < TimeSpan.Zero ? TimeSpan.Zero : r.Arrival + shift }));
    }

    private static void Print(PmFigures pm, PolicyRunReport shipped, PolicyRunReport recorded, SpawnLatencyModel latency, TimeSpan stop, Trace sentTrace, Trace recordedTrace)
    {
        var ms = (double s) => (s * 1000).ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine($"  PM: spawn to ready (pm status every {PollInterval.TotalMilliseconds:0} ms, midpoint) median {(pm.SpawnLatencies.Count > 0 ? ms(Median(pm.SpawnLatencies)) : "-")} ms, " +
            $"p90 {(pm.SpawnLatencies.Count > 0 ? ms(Percentile(pm.SpawnLatencies.OrderBy(l => l).ToList(), 0.9)) : "-")} ms over {pm.SpawnLatencies.Count} instances; " +
            $"the policy's startLatency {(pm.PolicyStartLatency is { } p ? ms(p) + " ms" : "-")}; retire to exit median {ms(stop.TotalSeconds)} ms");
        Console.WriteLine($"  PM: {pm.Errors} errors, max {pm.MaxInstances} instances, {pm.FinalInstances} at the end, {pm.CancelledStarts} pending starts cancelled; " +
            $"instance-s from pm status polls {pm.PolledInstanceSeconds:0.0} (log {pm.InstanceSeconds:0.0}); client: p99 send lateness {ms(pm.P99Lateness)} ms, at most {pm.MaxInFlight} requests in flight");
        Console.WriteLine($"  recorded trace: {recordedTrace.Requests.Count} of {sentTrace.Requests.Count} requests, median service {ms(MedianService(recordedTrace))} ms (sent {ms(MedianService(sentTrace))} ms)");
        Console.WriteLine($"  sim: spawn latency {latency}{(pm.SpawnLatencies.Count == 0 ? " (no PM sample: the simulator's default)" : "")}, stop latency {ms(stop.TotalSeconds)} ms; p99 wait of the PM from the client: latency minus the service time asked for");
        Console.WriteLine($"  {"",-18}{"PM",10}{"sim(sent)",12}{"ratio",8}{"within",9}{"sim(rec)",12}{"ratio",8}{"within",9}  tolerance");
        Row("instance-seconds", pm.InstanceSeconds, shipped.InstanceSeconds, recorded.InstanceSeconds, InstanceSecondsTolerance, v => v.ToString("0.0", CultureInfo.InvariantCulture));
        Row("spawns", pm.Spawns, shipped.Spawns, recorded.Spawns, SpawnsTolerance, v => v.ToString("0", CultureInfo.InvariantCulture));
        Row("retirements", pm.Retirements, shipped.Kills, recorded.Kills, SpawnsTolerance, v => v.ToString("0", CultureInfo.InvariantCulture));
        Row("p99 wait (ms)", pm.P99Wait * 1000, shipped.P99Wait.TotalMilliseconds, recorded.P99Wait.TotalMilliseconds, WaitTolerance, v => v.ToString("0.0", CultureInfo.InvariantCulture));
        Row("p50 wait (ms)", pm.P50Wait * 1000, shipped.P50Wait.TotalMilliseconds, recorded.P50Wait.TotalMilliseconds, null, v => v.ToString("0.0", CultureInfo.InvariantCulture));
        Row("max instances", pm.MaxInstances, shipped.MaxInstances, recorded.MaxInstances, null, v => v.ToString("0", CultureInfo.InvariantCulture));
        Console.WriteLine();
    }

    private static void Row(string what, double pm, double sent, double recorded, double? tolerance, Func<double, string> format)
    {
        static string Ratio(double sim, double pm) => pm == 0 ? (sim == 0 ? "1.00" : "inf") : (sim / pm).ToString("0.00", CultureInfo.InvariantCulture);
        string Within(double sim) => tolerance is not { } t ? "" : (pm == 0 ? sim == 0 : Math.Abs((sim / pm) - 1) <= t + 1e-9) ? "yes" : "no";
        var tol = tolerance is { } t2 ? $"±{t2 * 100:0}%" : "";
        Console.WriteLine($"  {what,-18}{format(pm),10}{format(sent),12}{Ratio(sent, pm),8}{Within(sent),9}{format(recorded),12}{Ratio(recorded, pm),8}{Within(recorded),9}  {tol}");
    }

    private static double MedianService(Trace trace) =>
        trace.Requests.Count == 0 ? 0 : Median(trace.Requests.Select(r => r.Service.TotalSeconds).ToList());

    // Nearest rank, as the simulator's reports.
    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Median(List<double> values) => Percentile(values.OrderBy(v => v).ToList(), 0.5);
}
