using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Pm.Bench.Peers;

/// <summary>
/// Pm against its peers in one run on one machine: `pm serve` (and `pm run`) beside nginx in front of the same pool,
/// apache2 with mod_fcgid, and php-fpm (ondemand) behind nginx. Every stack is started fresh for its row and measured
/// as a user meets it (no warm-up unless the row says warmed); the table gives the figures, the ratios Pm / peer, and
/// under it how each row was measured and from which config (the configs and logs stay in the work dir).
/// A peer whose Debian package is missing is skipped with a note. Prints numbers; asserts nothing.
/// <code>pm-bench peers [--quick] [--rounds N] [--seconds S]   (scripts/setup.sh --bench installs the peers and wrk)</code>
/// </summary>
public static partial class PeersBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = Option(args, "--rounds", quick ? 3 : 5);
        var seconds = Option(args, "--seconds", quick ? 3 : 10);
        var scaleUp = TimeSpan.FromSeconds(quick ? 5 : 8);
        if (!File.Exists(Wrk.Path))
        {
            Console.Error.WriteLine("pm-bench peers needs wrk: scripts/setup.sh --bench installs it (and nginx, php-fpm, apache2, mod_fcgid)");
            return 2;
        }

        // Ctrl+C, SIGTERM, SIGQUIT, SIGHUP: cancel the run, so the finally blocks stop every stack it started (their
        // processes are in sessions of their own, out of reach of the terminal's signals). A second signal gets the
        // runtime's default, and the exit handler still stops what is left.
        using var cancel = new CancellationTokenSource();
        var signals = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                if (cancel.IsCancellationRequested)
                {
                    return;
                }

                context.Cancel = true;
                Console.Error.WriteLine($"pm-bench peers: {context.Signal}: stopping every stack");
                cancel.Cancel();
            }))
            .ToList();
        EventHandler onExit = (_, _) => GroupedProcess.StopAll();
        AppDomain.CurrentDomain.ProcessExit += onExit;
        var total = Stopwatch.StartNew();
        try
        {
            var peers = PeersAvailable.Detect();
            var setup = new PeerSetup(BenchEnvironment.WorkDirectory());
            Console.WriteLine($"pm-bench peers: {Environment.ProcessorCount} cores, pm {BenchEnvironment.Pm} ({BenchEnvironment.PmKind}), " +
                $"{rounds} fresh starts per stack, wrk {seconds} s per point, scale-up runs {scaleUp.TotalSeconds:0} s{(quick ? " (--quick)" : "")}");
            Console.WriteLine($"configs, logs and apps in {setup.Dir} (kept). {peers.Notes}");
            await ClosedLoopLoad.WarmUpAsync(cancel.Token); // this process's client code, not any server
            var table = new PeerTable();
            await StartRows.RunAsync(setup, peers, table, rounds, cancel.Token);
            await SteadyRows.RunAsync(setup, peers, table, seconds, cancel.Token);
            await ScaleUpRow.RunAsync(setup, peers, table, scaleUp, cancel.Token);
            await RestartRow.RunAsync(setup, peers, table, cancel.Token);

            Console.WriteLine();
            table.Print(Console.Out);
            Console.WriteLine();
            Console.WriteLine("Pm / peer: the Pm figure divided by the peer's (for times lower is better for Pm, for req/s higher).");
            PrintLogFindings(setup.Logs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pm-bench peers: done in {total.Elapsed.TotalSeconds:0} s"));
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return 130;
        }
        finally
        {
            GroupedProcess.StopAll();
            AppDomain.CurrentDomain.ProcessExit -= onExit;
            signals.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// What the PMs logged that is worth a look: warn/fail/crit lines, errors, exceptions, refusals, time-outs and
    /// 502/503/504 answers, less the restart row's own kills (an instance "killed by SIGKILL", which it expects).
    /// Whole words only: "idleTimeout" in a policy's reason, or ".503" in a timestamp, is no finding.
    /// </summary>
    private static void PrintLogFindings(string logs)
    {
        foreach (var log in Directory.EnumerateFiles(logs, "*.pm.log").Order(StringComparer.Ordinal))
        {
            var hits = File.ReadLines(log)
                .Where(l => LogFinding().IsMatch(l) && !l.Contains("killed by SIGKILL", StringComparison.Ordinal))
                .ToList();
            Console.WriteLine($"{log}: {(hits.Count == 0 ? "nothing that looks like an error" : $"{hits.Count} line(s) to look at, e.g.:")}");
            foreach (var line in hits.Take(5))
            {
                Console.WriteLine("    " + line);
            }
        }
    }

    [GeneratedRegex(@"\b(warn|fail|crit|error|exception|refused|timed out)\b|Exception\b|(?<![\d.])50[234](?![\d.])", RegexOptions.IgnoreCase)]
    private static partial Regex LogFinding();

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
