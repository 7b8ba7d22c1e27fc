namespace Pm.Policy;

/// <summary>
/// Waiting requests the live instances will take before an instance started now could be up. New requests keep
/// arriving meanwhile (at the rate of the last second's completions): they take their share first, so a queue that
/// is not draining gets no credit. The service time is the longer of the front end's and, under load, the instances'
/// occupancy per request (busy / completions per second). An app already completing at least
/// <see cref="SaturatedShare"/> of what its busy instances can is saturated: the rest of the difference is measurement noise (the busy count is a snapshot,
/// service times are smoothed), and crediting it would leave a steady queue unserved.
/// </summary>
internal static class DrainCredit
{
    /// <summary>Completions per second, as a share of busy / service time, from which an app counts as saturated.</summary>
    public const double SaturatedShare = 0.8;

    /// <summary>
    /// Completions in the last second from which busy / completion rate is taken as a service time too. Two rounds of
    /// the short cap's 8 instances: an app whose whole answer comes at the end is known to be slow after its second
    /// round of answers (one service time after the first), not its third (20 took 50 ms requests from a cold start
    /// 0.35 s to their plateau); more than one round, since 8 answers at once read as 10 ms (the span is at least 10
    /// ms), which is not short.
    /// </summary>
    public const int OccupancySamples = 16;

    /// <summary>
    /// Completions in the last second below which Little's law reads requests as long only from twice
    /// <see cref="DemandPolicy.ShortRequest"/>. Early in a cold burst the busy count jumps as new instances take
    /// requests while the completions counted are the first instances' (slow ones too: first requests of new
    /// processes), so 16-30 hello-world answers over 20-30 ms read as 10-13 ms a request, and 24 more instances
    /// started for them in one run of eight; a 50 ms app reads as 25 ms or more by then.
    /// </summary>
    public const int SettledSamples = 32;

    /// <summary>The occupancy from which requests are not short: twice the threshold while few completions are counted.</summary>
    public static double LongFrom(DemandApp app) =>
        (app.RecentCompletions.Count < SettledSamples ? 2 : 1) * DemandPolicy.ShortRequest.TotalSeconds;

    /// <summary>
    /// What a request occupies an instance for, in seconds. The front end splits a request's time at the response's
    /// first byte, and an app that answers at the end shows it almost no service time (it is all "queue" time),
    /// though its instance is busy for the whole exchange. So: under load (<see cref="OccupancySamples"/> completions
    /// in the last second or more), busy / completions per second (Little's law; the rate over the span those
    /// completions cover, so a load that began a moment ago is not taken for a slow one; busy as the mean working
    /// level over that span when that is lower, so instances that have just taken queued connections are not
    /// divided by answers they had no part in), and at least the front
    /// end's service time; with fewer, the front end's service time; null before any request completed. (Neither the
    /// front end's queue time, which at a cold start is the wait for the start, nor how long a new instance took to
    /// answer, which on a starved machine is the wait for a core: both made hello-world bursts look slow.)
    /// </summary>
    public static double? Occupancy(DemandApp app, int busy)
    {
        if (app.ServiceSeconds is not { } service)
        {
            return null;
        }

        var count = app.RecentCompletions.Count;
        if (busy == 0 || count < OccupancySamples)
        {
            return service;
        }

        // The census has just set LastEvaluated to this evaluation's time.
        var oldest = app.RecentCompletions.Peek();
        var now = app.LastEvaluated ?? oldest;
        var span = Math.Clamp((now - oldest).TotalSeconds, 0.01, RecentWindow.TotalSeconds);
        // The level that produced those completions, not this moment's: instances just started take queued
        // connections at once, and 8 busy now against the answers of the 2 that worked until 10 ms ago read as
        // 10 ms a hello-world request (24 more instances started for it).
        var working = Math.Min(busy, app.Working.Mean(now - TimeSpan.FromSeconds(span)) ?? busy);
        return Math.Max(service, working / (count / span));
    }

    /// <summary>The window of the recent arrival rate that drain credit subtracts.</summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The credit, 0 to <paramref name="waiting"/>: none before the spawn latency and the service time are measured,
    /// so a cold start gets everything at once.
    /// </summary>
    /// <param name="idle">Idle instances: the queued connections are theirs first, and each drains as a busy one does.</param>
    /// <param name="startingSeconds">The summed age of starting instances, each capped at the spawn latency.</param>
    public static int Compute(DemandApp app, int busy, int idle, double startingSeconds, int waiting)
    {
        if (waiting == 0 || app.StartSeconds is not { } start || app.ServiceSeconds is null
            || Occupancy(app, busy) is not { } service || service <= 0)
        {
            return 0;
        }

        var recent = app.RecentCompletions.Count / RecentWindow.TotalSeconds;
        if (busy > 0 && recent >= SaturatedShare * busy / service)
        {
            return 0;
        }

        var drained = ((((busy + idle) * start) + startingSeconds) / service) - (recent * start);
        return (int)Math.Clamp(Math.Floor(drained), 0, waiting);
    }
}
