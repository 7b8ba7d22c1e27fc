using System.Globalization;

namespace Pm.Bench.Peers;

/// <summary>
/// Row 4: ONE pm web process (`pm serve`, PmWebProcesses 1, its 8 static hello-c instances) against ONE nginx worker
/// in front of the same 8 hello-c instances under `pm run`, both started fresh: wrk at c=64 from the moment the stack
/// listens (no warm-up: what a user meets first), then warmed points at c=1, 8 and 64 on the same processes, pm and
/// nginx taking turns at each point so that a machine whose speed drifts moves both.
/// Row 5: the same hello-c as a dynamic app (one web process, demand policy) at c=64 from a fresh start, beside row 4's
/// fresh static figure, and the instances the PM ran.
/// </summary>
public static class SteadyRows
{
    private static readonly int[] Concurrency = [1, 8, 64];

    private sealed record Figures(Wrk.Result Fresh, Dictionary<int, Wrk.Result> Warm);

    public static async Task RunAsync(PeerSetup setup, PeersAvailable peers, PeerTable table, int seconds, CancellationToken cancel)
    {
        var pmRecipe = setup.PmServeStatic(web: 1);
        var nginxRecipe = peers.Nginx ? setup.NginxOnPmRunPool() : null;
        var (pm, nginx) = await MeasureAsync(setup, pmRecipe, nginxRecipe, seconds, cancel);

        string Cell(Wrk.Result r) => string.Create(CultureInfo.InvariantCulture, $"{r.Rps:0} req/s, p99 {PeerTable.Ms(r.P99)} ms")
            + (r.Errors is null ? "" : $" ({r.Errors})");
        string Ratios(Wrk.Result a, Wrk.Result? b) => b is null ? "" : $"req/s {PeerTable.Ratio(a.Rps, b.Rps)}, p99 {PeerTable.Ratio(a.P99, b.P99)}";
        var where = $"wrk -t2 (-t1 at c=1) --latency, on /hello. pm: {pmRecipe.Files}; nginx: {nginxRecipe?.Files}.";
        table.Add($"4a. c=64, first {seconds} s after a fresh start", [Cell(pm.Fresh), nginx is null ? peers.Missing(PeerTable.Nginx) : Cell(nginx.Fresh), null, null],
            Ratios(pm.Fresh, nginx?.Fresh),
            $"each stack started fresh; wrk at c=64 for {seconds} s starts as soon as the stack listens (no warm-up; the instances may still be starting). {where}");
        foreach (var c in Concurrency)
        {
            table.Add($"4{(char)('b' + Array.IndexOf(Concurrency, c))}. c={c}, warmed", [Cell(pm.Warm[c]), nginx is null ? peers.Missing(PeerTable.Nginx) : Cell(nginx.Warm[c]), null, null],
                Ratios(pm.Warm[c], nginx?.Warm[c]),
                c == Concurrency[0]
                    ? $"both stacks kept running after 4a; at each point pm and nginx take turns, {WarmTurns} runs of {WarmSeconds(seconds)} s each, so that a machine that slows down for a while slows both (a VM's neighbours moved one stack's figures by 20-40 % from one run to the next); req/s and p99 are the medians of each stack's runs, and each point comes after the one before (so 'warmed'). Otherwise as 4a."
                    : "as the row above.");
        }

        Console.Error.WriteLine("peers: dynamic hello at c=64");
        var dynamicRecipe = setup.PmServeDynamic(web: 1);
        var app = Path.Combine(setup.DynamicRoot, "hello.fcgi");
        var ipc = setup.IpcDir(dynamicRecipe);
        await using (var stack = await Stack.StartAsync(dynamicRecipe, setup.Logs, cancel))
        {
            await HttpProbe.WaitAnswerAsync(stack.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var max = PmInstances.MaxWhileAsync(ipc, app, sampling.Token);
            var run = await Wrk.RunAsync($"http://127.0.0.1:{stack.Port}{dynamicRecipe.AppPath}", 64, seconds, cancel);
            var atEnd = await PmInstances.CountAsync(ipc, app, cancel);
            sampling.Cancel();
            table.Add($"5. dynamic hello at c=64, first {seconds} s, vs static", [
                    $"{Cell(run)}, {atEnd} instances at the end (max seen {await max}); static: {Cell(pm.Fresh)}, {PeerSetup.PoolInstances} instances",
                    null, null, null],
                $"dynamic/static req/s {PeerTable.Ratio(run.Rps, pm.Fresh.Rps)}, p99 {PeerTable.Ratio(run.P99, pm.Fresh.P99)}",
                $"fresh `pm serve` {dynamicRecipe.Files} (one web process, demand policy at its defaults: maxClassProcesses 32), wrk c=64 {seconds} s on " +
                $"{dynamicRecipe.AppPath} from the moment it listens; instances from the PM's status report (pm.sock, as `pm status --json`) every 100 ms and right after wrk. " +
                "Static: row 4a (8 static instances, same web process count, also from a fresh start).");
        }
    }

    /// <summary>Runs per stack at each warmed point, taking turns with the peer.</summary>
    private const int WarmTurns = 3;

    private static int WarmSeconds(int seconds) => Math.Max(2, (int)Math.Round(seconds / (double)WarmTurns));

    private static async Task<(Figures Pm, Figures? Nginx)> MeasureAsync(PeerSetup setup, StackRecipe pmRecipe, StackRecipe? nginxRecipe, int seconds, CancellationToken cancel)
    {
        Console.Error.WriteLine($"peers: steady state, {pmRecipe.Name}");
        await using var pm = await Stack.StartAsync(pmRecipe, setup.Logs, cancel);
        await HttpProbe.WaitAnswerAsync(pm.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
        var pmUrl = $"http://127.0.0.1:{pm.Port}{pmRecipe.AppPath}";
        var pmFresh = await Wrk.RunAsync(pmUrl, 64, seconds, cancel);

        Stack? nginx = null;
        try
        {
            string? nginxUrl = null;
            Wrk.Result? nginxFresh = null;
            if (nginxRecipe is not null)
            {
                Console.Error.WriteLine($"peers: steady state, {nginxRecipe.Name}");
                nginx = await Stack.StartAsync(nginxRecipe, setup.Logs, cancel);
                await HttpProbe.WaitAnswerAsync(nginx.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
                nginxUrl = $"http://127.0.0.1:{nginx.Port}{nginxRecipe.AppPath}";
                nginxFresh = await Wrk.RunAsync(nginxUrl, 64, seconds, cancel);
            }

            var pmWarm = new Dictionary<int, Wrk.Result>();
            var nginxWarm = new Dictionary<int, Wrk.Result>();
            foreach (var c in Concurrency)
            {
                Console.Error.WriteLine($"peers: steady state, warmed, c={c}");
                var pmRuns = new List<Wrk.Result>();
                var nginxRuns = new List<Wrk.Result>();
                for (var turn = 0; turn < WarmTurns; turn++)
                {
                    pmRuns.Add(await Wrk.RunAsync(pmUrl, c, WarmSeconds(seconds), cancel));
                    if (nginxUrl is not null)
                    {
                        nginxRuns.Add(await Wrk.RunAsync(nginxUrl, c, WarmSeconds(seconds), cancel));
                    }
                }

                pmWarm[c] = Median(pmRuns);
                if (nginxRuns.Count > 0)
                {
                    nginxWarm[c] = Median(nginxRuns);
                }
            }

            return (new Figures(pmFresh, pmWarm), nginxFresh is null ? null : new Figures(nginxFresh, nginxWarm));
        }
        finally
        {
            if (nginx is not null)
            {
                await nginx.DisposeAsync();
            }
        }
    }

    /// <summary>The median req/s and the median p99 of the runs (each taken on its own), with the runs' requests and errors summed.</summary>
    private static Wrk.Result Median(List<Wrk.Result> runs)
    {
        static double Mid(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }

        var errors = runs.Where(r => r.Errors is not null).Select(r => r.Errors!).ToList();
        return new Wrk.Result(Mid(runs.Select(r => r.Rps)), runs.Sum(r => r.Requests), Mid(runs.Select(r => r.P50)), Mid(runs.Select(r => r.P99)),
            errors.Count == 0 ? null : string.Join("; ", errors), runs[0].Command);
    }
}
