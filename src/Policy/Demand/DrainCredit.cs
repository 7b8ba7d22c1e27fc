namespace Pm.Policy;

/// <summary>
/// Waiting requests the live instances will take before an instance started now could be up. New requests keep
/// arriving meanwhile (at the rate of the last second's completions): they take their share first, so a queue that
/// is not draining gets no credit. An app already completing at least <see cref="SaturatedShare"/> of what its busy
/// instances can is saturated: the rest of the difference is measurement noise (the busy count is a snapshot,
/// service times are smoothed), and crediting it would leave a steady queue unserved.
/// </summary>
internal static class DrainCredit
{
    /// <summary>Completions per second, as a share of busy / service time, from which an app counts as saturated.</summary>
    public const double SaturatedShare = 0.8;

    /// <summary>The window of the recent arrival rate that drain credit subtracts.</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The credit, 0 to <paramref name="waiting"/>: none before the spawn latency and the service time are measured,
    /// so a cold start gets everything at once.
    /// </summary>
    /// <param name="startingSeconds">The summed age of starting instances, each capped at the spawn latency.</param>
    public static int Compute(DemandApp app, int busy, double startingSeconds, int waiting)
    {
        if (waiting == 0 || app.StartSeconds is not { } start || app.ServiceSeconds is not { } service || service <= 0)
        {
            return 0;
        }

        var recent = app.RecentCompletions.Count / RecentWindow.TotalSeconds;
        if (busy > 0 && recent >= SaturatedShare * busy / service)
        {
            return 0;
        }

        var drained = (((busy * start) + startingSeconds) / service) - (recent * start);
        return (int)Math.Clamp(Math.Floor(drained), 0, waiting);
    }
}
