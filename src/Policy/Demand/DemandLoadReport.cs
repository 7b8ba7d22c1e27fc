using Pm.Shared;

namespace Pm.Policy;

/// <summary>One app's load figures and one-line summary after an evaluation, for <c>pm status</c> and the log.</summary>
internal static class DemandLoadReport
{
    public static AppLoad Build(DemandApp app, DemandFigures f, DemandOutcome outcome, DemandRound round)
    {
        var o = round.Options;
        var backoffLeft = FailureStreak.BackoffLeft(app, round.Now);
        var figures = new Dictionary<string, double>
        {
            ["arrivalRate"] = app.Completions.Count / o.IdleTimeout.TotalSeconds,
            ["serviceTime"] = app.ServiceSeconds ?? 0,
            ["queueTime"] = app.QueueSeconds ?? 0,
            ["waiting"] = f.Waiting,
            ["queued"] = f.Queued,
            ["busy"] = f.Busy,
            ["idle"] = f.Idle,
            ["starting"] = f.FreshStarting + f.Pending,
            ["retiring"] = f.Retiring,
            ["peakDemand"] = Math.Round(f.Peak, 3),
            ["startLatency"] = app.StartSeconds ?? 0,
            ["target"] = Math.Max(f.Wanted, outcome.Keep),
            ["spawnTokens"] = Math.Floor(app.Tokens.Available(round.Now) * 100) / 100,
            ["failures"] = app.ConsecutiveFailures,
            ["backoff"] = backoffLeft.TotalSeconds,
            ["cpuIdle"] = round.CpuIdleShare is { } idle ? Math.Round(idle, 3) : -1,
            ["coldHeld"] = f.ColdHeld,
            ["occupancy"] = f.Occupancy ?? 0,
            [AppLoad.MaxReached] = app.MaxReached.Count,
        };
        var summary = $"{f.Busy} busy, {f.Idle} idle, {f.FreshStarting + f.Pending} starting,"
            + $" {f.Waiting} waiting; {ReasonFormat.Number(figures["arrivalRate"])} req/s over {DurationFormat.Seconds(o.IdleTimeout)},"
            + $" service {ReasonFormat.Number((app.ServiceSeconds ?? 0) * 1000)} ms; keeping {outcome.Keep} (peak {ReasonFormat.Number(f.Peak)}); {outcome.Note}"
            + (f.BeyondShortCap > 0
                ? $"; {f.BeyondShortCap} more not started: requests take {ReasonFormat.Number(Math.Round((f.Occupancy ?? 0) * 1000, 2))} ms"
                    + $" (< {DurationFormat.Seconds(DemandPolicy.ShortRequest)}), so beyond shortPerCore {o.ShortPerCore} × {round.Cores} cores they would wait for a core"
                : string.Empty)
            + (f.ColdHeld > 0
                ? $"; {f.ColdHeld} waiting held until the first instance shows how long a request takes"
                : string.Empty)
            + (backoffLeft > TimeSpan.Zero
                ? $"; starts backed off for {DurationFormat.Seconds(backoffLeft, decimals: 2)} after {app.ConsecutiveFailures} failures"
                : string.Empty);
        return new AppLoad(app.AppId, figures, summary);
    }
}
