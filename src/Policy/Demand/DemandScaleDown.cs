using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// Scale down to what is kept: pending starts beyond it are cancelled first, then idle instances not holding a
/// request are retired, the longest idle first. (The hold after a scale-up is decided before this.)
/// </summary>
internal static class DemandScaleDown
{
    /// <summary>Cancels and retires down to <paramref name="keep"/>; returns the summary's note and the supply left.</summary>
    public static (string Note, int Supply) Run(
        DemandApp app, DemandFigures f, int keep, IReadOnlyList<InstanceView> idle, DemandRound round)
    {
        var o = round.Options;
        var supply = f.Supply;
        var excess = supply - keep;
        var why = $"peak of {ReasonFormat.Number(f.Peak)} busy instances on average per second over the last idleTimeout {DurationFormat.Seconds(o.IdleTimeout)}"
            + $" and {f.Busy} busy now need {keep} instances (spareProcesses {o.SpareProcesses}, minClassProcesses {o.MinClassProcesses}); {supply} available";
        if (f.Pending > 0)
        {
            round.Decisions.Add(new CancelPendingStart(app.AppId, $"{why}: cancelling {f.Pending} pending starts"));
            excess -= f.Pending;
            supply -= f.Pending;
        }

        var retired = 0;
        foreach (var instance in idle.Where(i => !i.HoldsRequest).OrderBy(i => i.StateSince).ThenByDescending(i => i.InstanceId))
        {
            if (retired >= excess)
            {
                break;
            }

            round.Decisions.Add(new RetireInstance(app.AppId, instance.InstanceId,
                $"{why}: retiring instance {instance.InstanceId}, idle for {DurationFormat.Seconds(round.Now - instance.StateSince)}"));
            retired++;
        }

        supply -= retired;
        return (retired > 0 ? $"retired {retired}" : f.Pending > 0 ? "cancelled pending starts" : "excess instances are busy", supply);
    }
}
