using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// maxProcesses pressure: an app with requests waiting must not wait for other apps' idle instances to age out
/// (with minClassProcesses each keeps one for ever, and the 51st app would never start). Retires instances of other
/// apps that have been idle for <see cref="DemandPolicy.ReclaimAfterIdle"/> and hold no request, the longest idle
/// first, less those already retiring; the waiting app starts once they exit. A reclaimed app starts nothing back
/// for its minClassProcesses floor until it is requested again.
/// </summary>
internal static class DemandReclaim
{
    /// <summary>Retires up to <paramref name="needed"/> idle instances of other apps for <paramref name="app"/>; returns how many.</summary>
    public static int Run(DemandApp app, int needed, DemandRound round)
    {
        var retiring = round.Views.Sum(v => v.Instances.Count(i => i.State == InstanceState.Retiring));
        needed -= retiring;
        if (needed <= 0)
        {
            return 0;
        }

        var now = round.Now;
        var victims = round.Views.Where(v => v.AppId != app.AppId)
            .SelectMany(v => v.Instances.Select(i => (App: v.AppId, Instance: i)))
            .Where(x => x.Instance.State == InstanceState.Idle && !x.Instance.HoldsRequest
                && now - x.Instance.StateSince >= DemandPolicy.ReclaimAfterIdle)
            .OrderBy(x => x.Instance.StateSince)
            .Take(needed)
            .ToList();
        foreach (var (victimApp, instance) in victims)
        {
            round.Apps.GetOrCreate(victimApp).Reclaimed = true;
            round.Decisions.Add(new RetireInstance(victimApp, instance.InstanceId,
                $"maxProcesses {round.Options.MaxProcesses} is reached and {app.AppId} has requests waiting: retiring instance"
                + $" {instance.InstanceId}, idle for {DurationFormat.Seconds(now - instance.StateSince)}"));
        }

        return victims.Count;
    }
}
