using System.Globalization;

namespace Pm.Bench.Peers;

/// <summary>
/// Row 4: ONE pm web process (`pm serve`, PmWebProcesses 1, its 8 static hello-c instances) against ONE nginx worker
/// in front of the same 8 hello-c instances under `pm run`, both started fresh: wrk at c=64 from the moment the stack
/// listens (no warm-up: what a user meets first), then warmed points at c=1, 8 and 64 on the same processes.
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
        var pm = await MeasureAsync(setup, pmRecipe, seconds, cancel);
        var nginxRecipe = peers.Nginx ? setup.NginxOnPmRunPool() : null;
        var nginx = nginxRecipe is null ? null : await MeasureAsync(setup, nginxRecipe, seconds, cancel);

        string Cell(Wrk.Result r) => string.Create(CultureInfo.InvariantCulture, $"{r.Rps:0} req/s, p99 {PeerTable.Ms(r.P99)} ms")
            + (r.Errors is null ? "" : $" ({r.Errors})");
        string Ratios(Wrk.Result a, Wrk.Result? b) => b is null ? "" : $"req/s {PeerTable.Ratio(a.Rps, b.Rps)}, p99 {PeerTable.Ratio(a.P99, b.P99)}";
        var where = $"wrk -t2 (-t1 at c=1) --latency, {seconds} s per point, on /hello. pm: {pmRecipe.Files}; nginx: {nginxRecipe?.Files}.";
        table.Add($"4a. c=64, first {seconds} s after a fresh start", [Cell(pm.Fresh), nginx is null ? peers.Missing(PeerTable.Nginx) : Cell(nginx.Fresh), null, null],
            Ratios(pm.Fresh, nginx?.Fresh),
            $"each stack started fresh; wrk at c=64 starts as soon as the stack listens (no warm-up; the instances may still be starting). {where}");
        foreach (var c in Concurrency)
        {
            table.Add($"4{(char)('b' + Array.IndexOf(Concurrency, c))}. c={c}, warmed", [Cell(pm.Warm[c]), nginx is null ? peers.Missing(PeerTable.Nginx) : Cell(nginx.Warm[c]), null, null],
                Ratios(pm.Warm[c], nginx?.Warm[c]),
                c == Concurrency[0] ? $"the same processes right after 4a, then each point after the one before (so 'warmed'); otherwise as 4a." : "as the row above.");
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

    private static async Task<Figures> MeasureAsync(PeerSetup setup, StackRecipe recipe, int seconds, CancellationToken cancel)
    {
        Console.Error.WriteLine($"peers: steady state, {recipe.Name}");
        await using var stack = await Stack.StartAsync(recipe, setup.Logs, cancel);
        await HttpProbe.WaitAnswerAsync(stack.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
        var url = $"http://127.0.0.1:{stack.Port}{recipe.AppPath}";
        var fresh = await Wrk.RunAsync(url, 64, seconds, cancel);
        var warm = new Dictionary<int, Wrk.Result>();
        foreach (var c in Concurrency)
        {
            warm[c] = await Wrk.RunAsync(url, c, seconds, cancel);
        }

        return new Figures(fresh, warm);
    }
}
