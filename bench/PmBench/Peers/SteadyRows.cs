using System.Globalization;

namespace Pm.Bench.Peers;

/// <summary>
/// Row 4: ONE pm web process (`pm serve`, PmWebProcesses 1, its 8 static hello-c instances) against ONE nginx worker
/// in front of the same 8 hello-c instances under `pm run`, both started fresh: wrk at c=64 from the moment the stack
/// listens (no warm-up: what a user meets first), then warmed points at c=1, 8 and 64 on the same processes, pm and
/// nginx taking turns at each point so that a machine whose speed drifts moves both.
/// Row 5: the same hello-c as a dynamic app (one web process, demand policy) at c=64 from a fresh start, beside row 4's
/// fresh static figure, and the instances the PM ran; then, warmed, the dynamic app and row 4's static stack in turns.
/// </summary>
public static class SteadyRows
{
    private static readonly int[] Concurrency = [1, 8, 64];

    private sealed record Figures(Wrk.Result Fresh, Dictionary<int, Wrk.Result> Warm);

    public static async Task RunAsync(PeerSetup setup, PeersAvailable peers, PeerTable table, int seconds, CancellationToken cancel)
    {
        var pmRecipe = setup.PmServeStatic(web: 1);
        var nginxRecipe = peers.Nginx ? setup.NginxOnPmRunPool() : null;
        Console.Error.WriteLine($"peers: steady state, {pmRecipe.Name}");
        await using var pmStack = await Stack.StartAsync(pmRecipe, setup.Logs, cancel);
        await HttpProbe.WaitAnswerAsync(pmStack.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
        var pmUrl = $"http://127.0.0.1:{pmStack.Port}{pmRecipe.AppPath}";
        var (pm, nginx) = await MeasureAsync(setup, pmUrl, nginxRecipe, seconds, cancel);

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
            var dynamicUrl = $"http://127.0.0.1:{stack.Port}{dynamicRecipe.AppPath}";
            var run = await Wrk.RunAsync(dynamicUrl, 64, seconds, cancel);
            var atEnd = await PmInstances.CountAsync(ipc, app, cancel);
            sampling.Cancel();
            var maxSeen = await max;

            // Warm, in turns with the static stack of row 4 (still running): what item 3 asks, a dynamic request
            // costing no more than a static one, without the VM's drift between two measurements a minute apart.
            Console.Error.WriteLine("peers: dynamic and static hello in turns, warmed");
            var (warmDynamic, warmStaticOrNull) = await TurnsAsync(dynamicUrl, pmUrl, 64, seconds, cancel);
            var warmStatic = warmStaticOrNull!;
            var instances = await PmInstances.CountAsync(ipc, app, cancel);
            table.Add($"5. dynamic hello at c=64 vs static", [
                    $"first {seconds} s: {Cell(run)}, {atEnd} instances at the end (max seen {maxSeen}); static (4a): {Cell(pm.Fresh)}. " +
                    $"Warmed, in turns: {Cell(warmDynamic)} ({instances} instances) against static {Cell(warmStatic)} ({PeerSetup.PoolInstances} instances)",
                    null, null, null],
                $"dynamic/static warmed req/s {PeerTable.Ratio(warmDynamic.Rps, warmStatic.Rps)}, p99 {PeerTable.Ratio(warmDynamic.P99, warmStatic.P99)}; " +
                $"first {seconds} s req/s {PeerTable.Ratio(run.Rps, pm.Fresh.Rps)}",
                $"fresh `pm serve` {dynamicRecipe.Files} (one web process, demand policy at its defaults: maxClassProcesses 32), wrk c=64 {seconds} s on " +
                $"{dynamicRecipe.AppPath} from the moment it listens; instances from the PM's status report (pm.sock, as `pm status --json`) every 100 ms and right after wrk. " +
                $"Static first {seconds} s: row 4a (8 static instances, same web process count, also from a fresh start, a minute earlier). Warmed: then the dynamic " +
                $"app and row 4's static stack take turns at c=64, {WarmTurns} runs of {WarmSeconds(seconds)} s each, medians.");
        }
    }

    /// <summary>Runs per stack at each warmed point, taking turns with the peer.</summary>
    private const int WarmTurns = 3;

    private static int WarmSeconds(int seconds) => Math.Max(2, (int)Math.Round(seconds / (double)WarmTurns));

    private static async Task<(Figures Pm, Figures? Nginx)> MeasureAsync(PeerSetup setup, string pmUrl, StackRecipe? nginxRecipe, int seconds, CancellationToken cancel)
    {
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
                var (pmAt, nginxAt) = await TurnsAsync(pmUrl, nginxUrl, c, seconds, cancel);
                pmWarm[c] = pmAt;
                if (nginxAt is not null)
                {
                    nginxWarm[c] = nginxAt;
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

    /// <summary>
    /// <see cref="WarmTurns"/> runs of <paramref name="first"/> and of <paramref name="second"/> (when there is one)
    /// at <paramref name="connections"/>, taking turns (<see cref="Turns"/>), each stack's runs as one <see cref="Wrk.Median"/>.
    /// </summary>
    private static async Task<(Wrk.Result First, Wrk.Result? Second)> TurnsAsync(string first, string? second, int connections, int seconds, CancellationToken cancel)
    {
        var runs = await Turns.RunAsync(second is null ? [first] : [first, second], connections, WarmSeconds(seconds), WarmTurns, cancel: cancel);
        return (Wrk.Median(runs[0]), second is null ? null : Wrk.Median(runs[1]));
    }
}
