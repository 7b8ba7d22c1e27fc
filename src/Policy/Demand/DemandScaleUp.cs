using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// Scale up: says what the shortfall is for, then starts what may start of it now: nothing while starts are backed
/// off; within maxClassProcesses and maxProcesses (at maxProcesses, reclaiming other apps' idle instances for
/// requests that wait); within the spawn budget (a token bucket: spawnBurst at once, spawnRate per second).
/// </summary>
internal static class DemandScaleUp
{
    /// <summary>Starts what it may of <see cref="DemandFigures.Shortfall"/>; returns the summary's note and how many it started.</summary>
    public static (string Note, int Started) Run(DemandApp app, DemandFigures f, DemandRound round)
    {
        var o = round.Options;
        var why = Reason(f, o);
        if (app.BackoffUntil is { } until && until > round.Now)
        {
            round.WakeBy(until);
            return ($"{why}, but starts are backed off until {ReasonFormat.Time(until)}"
                + $" after {app.ConsecutiveFailures} failures in a row (more than maxFailedStarts {o.MaxFailedStarts})", 0);
        }

        var classRoom = o.MaxClassProcesses - f.Supply;
        var globalRoom = o.MaxProcesses - round.Instances;
        var allowed = Math.Min(f.Shortfall, Math.Min(classRoom, globalRoom));
        app.MaxReached.Held(allowed < f.Shortfall);
        if (allowed <= 0)
        {
            return (NoRoom(app, f, round, why, classRoom), 0);
        }

        var before = app.Tokens.Available(round.Now);
        var count = app.Tokens.Take(allowed, round.Now);
        if (count < allowed)
        {
            round.WakeBy(app.Tokens.NextTokenAt(round.Now));
        }

        if (count == 0)
        {
            return ($"{why}; the spawn budget is spent (spawnBurst {o.SpawnBurst}, spawnRate {ReasonFormat.Number(o.SpawnRate)}/s)", 0);
        }

        round.Instances += count;
        app.LastScaleUp = round.Now;
        var limit = count == f.Shortfall ? string.Empty
            : count < allowed ? $" of {f.Shortfall} needed; the spawn budget had {ReasonFormat.Number(Math.Floor(before * 100) / 100)} starts"
                + $" (spawnBurst {o.SpawnBurst}, spawnRate {ReasonFormat.Number(o.SpawnRate)}/s)"
            : classRoom < globalRoom ? $" of {f.Shortfall} needed; maxClassProcesses {o.MaxClassProcesses}"
            : $" of {f.Shortfall} needed; maxProcesses {o.MaxProcesses} across all apps";
        round.Decisions.Add(new SpawnInstances(app.AppId, count, null, $"{why}: starting {count}{limit}"));
        return ($"started {count}", count);
    }

    // What the instances wanted are for, most pressing first.
    private static string Reason(DemandFigures f, DemandPolicyOptions o)
    {
        if (f.Wanted == f.Immediate && f.Waiting > 0)
        {
            return (f.WaitingQueued
                    ? $"{ReasonFormat.Plural(f.Waiting, "connection", "connections")} waiting in the accept queue"
                    : $"{ReasonFormat.Plural(f.Waiting, "request", "requests")} waiting longer than startDelay {DurationFormat.Seconds(o.StartDelay)} (T records)")
                + (f.Credit > 0 ? $", {f.Credit} of them for the {f.Busy} busy and {f.FreshStarting} starting instances to take before a new one is up" : string.Empty)
                + $"; {f.Busy} busy, {f.FreshIdle} idle, {f.FreshStarting} starting, {f.Pending} pending";
        }

        if (f.Wanted == f.Replacement && f.Replacement > 0)
        {
            return $"the binary changed: replacing {f.Replacement} instances of the old version ({f.Supply} new so far)";
        }

        if (f.Wanted == f.StartFloor && f.StartFloor > 0)
        {
            return f.StartFloor > o.MinClassProcesses
                ? $"a start was requested (S record) and the app has {f.Supply} instances"
                : $"{f.Supply} instances < minClassProcesses {f.StartFloor}";
        }

        return $"peak of {ReasonFormat.Number(f.Peak)} busy instances on average per second over the last idleTimeout"
            + $" {DurationFormat.Seconds(o.IdleTimeout)}, + spareProcesses {o.SpareProcesses} = {f.Wanted};"
            + $" {f.Busy} busy, {f.FreshIdle} idle, {f.FreshStarting} starting, {f.Pending} pending";
    }

    // maxClassProcesses or maxProcesses leaves no room. Only requests that wait (T records, the accept queue) or a
    // start request reclaim other apps' idle instances, never spares or floors.
    private static string NoRoom(DemandApp app, DemandFigures f, DemandRound round, string why, int classRoom)
    {
        var o = round.Options;
        if (classRoom <= 0)
        {
            return $"{why}, but maxClassProcesses {o.MaxClassProcesses} is reached";
        }

        var reclaimed = f.Urgent ? DemandReclaim.Run(app, Math.Min(f.Shortfall, classRoom), round) : 0;
        return $"{why}, but maxProcesses {o.MaxProcesses} is reached across all apps"
            + (reclaimed > 0 ? $"; retiring {reclaimed} idle instances of other apps to make room" : string.Empty);
    }
}
