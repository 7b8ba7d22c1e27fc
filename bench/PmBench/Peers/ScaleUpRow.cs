using System.Globalization;

namespace Pm.Bench.Peers;

/// <summary>
/// Row 6: scale-up from zero. A fresh stack whose app runs no process yet, then 32 closed-loop clients on a
/// 50 ms request (ideal 640 req/s) from the moment it listens. pm: slow.fcgi (slow-c) under PmDynamicRoot, demand
/// policy at its defaults (static apps cannot start from 0 instances: -processes is at least 1). php-fpm:
/// pm = ondemand, max_children 64, slow.php doing usleep(50000), behind one nginx worker.
/// Plateau: the end of the first 100 ms window (windows start every 10 ms) whose rate is at least 90 % of the rate over
/// the run's last 3 s.
/// </summary>
public static class ScaleUpRow
{
    private const int Clients = 32;

    private sealed record Figures(double PlateauMs, double LateRps, double P99, int Errors, int Instances);

    public static async Task RunAsync(PeerSetup setup, PeersAvailable peers, PeerTable table, TimeSpan duration, CancellationToken cancel)
    {
        var pmRecipe = setup.PmServeDynamic(web: null, "slow.fcgi");
        var app = Path.Combine(setup.DynamicRoot, "slow.fcgi");
        var pm = await MeasureAsync(setup, pmRecipe, duration, stack => PmInstances.CountAsync(setup.IpcDir(pmRecipe), app, cancel), cancel);
        var phpRecipe = peers.PhpFpm && peers.Nginx ? setup.PhpFpmOndemand() with { AppPath = "/slow.php" } : null;
        var php = phpRecipe is null ? null
            : await MeasureAsync(setup, phpRecipe, duration, stack => Task.FromResult(Children(stack.Leader.Pid)), cancel);

        static string Cell(Figures f) => string.Create(CultureInfo.InvariantCulture,
            $"plateau at {f.PlateauMs:0} ms, {f.LateRps:0} req/s over the last 3 s, p99 {PeerTable.Ms(f.P99)} ms, {f.Instances} instances at the end")
            + (f.Errors > 0 ? $", {f.Errors} errors" : "");
        table.Add($"6. scale-up from zero, c={Clients}, 50 ms requests, {duration.TotalSeconds:0} s", [
                Cell(pm), null, null, php is null ? peers.Missing(PeerTable.PhpFpm) : Cell(php)],
            php is null ? "" : $"/php-fpm: plateau {PeerTable.Ratio(pm.PlateauMs, php.PlateauMs)}, req/s {PeerTable.Ratio(pm.LateRps, php.LateRps)}, p99 {PeerTable.Ratio(pm.P99, php.P99)}",
            $"{Clients} closed-loop clients (HttpClient, keep-alive) from the moment the fresh stack listens; ideal {Clients * 20} req/s. " +
            "Plateau = end of the first 100 ms window (start every 10 ms) with a rate >= 90 % of the last-3-s rate. p99 over every answer of the run. " +
            $"pm: {pmRecipe.Files}, {pmRecipe.AppPath} (slow-c; static apps cannot start from zero: -processes >= 1); instances from its status report. " +
            $"php-fpm: {phpRecipe?.Files}, slow.php = usleep(50000), instances = the master's children.");
    }

    private static async Task<Figures> MeasureAsync(PeerSetup setup, StackRecipe recipe, TimeSpan duration, Func<Stack, Task<int>> instances, CancellationToken cancel)
    {
        Console.Error.WriteLine($"peers: scale-up from zero, {recipe.Name}");
        await using var stack = await Stack.StartAsync(recipe, setup.Logs, cancel);
        await HttpProbe.WaitAnswerAsync(stack.Port, StartRows.ProbePath, TimeSpan.FromSeconds(30), cancel);
        var samples = await ClosedLoopLoad.RunAsync($"http://127.0.0.1:{stack.Port}{recipe.AppPath}", Clients, duration, cancel);
        var count = await instances(stack);
        var ok = samples.Where(s => s.Ok).ToList();
        var end = duration.TotalSeconds;
        var late = ok.Count(s => s.EndSeconds >= end - 3 && s.EndSeconds < end) / 3.0;
        var plateau = double.NaN;
        for (var w = 0.0; w + 0.1 <= end; w += 0.01)
        {
            if (ok.Count(s => s.EndSeconds >= w && s.EndSeconds < w + 0.1) / 0.1 >= 0.9 * late)
            {
                plateau = (w + 0.1) * 1000;
                break;
            }
        }

        var latencies = ok.Select(s => s.LatencyMs).OrderBy(l => l).ToList();
        var p99 = latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)];
        return new Figures(plateau, late, p99, samples.Count - ok.Count, count);
    }

    private static int Children(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
