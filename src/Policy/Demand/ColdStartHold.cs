namespace Pm.Policy;

/// <summary>
/// Before any request of an app has completed, how long a request takes is unknown, and an accept queue full of a
/// burst's connections does not say how many instances it needs: a thousand hello-world requests are served by one
/// instance in the time another starts. So the queued connections beyond the T records are held back (credited to
/// the instances there are) until the first instance is up and then for <see cref="Probe"/>: a completion in that
/// time measures the service time and the drain credit takes over; none means requests take at least that long, and
/// nothing is held. T records are never held: each is a request that has already waited startDelay.
/// </summary>
internal static class ColdStartHold
{
    /// <summary>How long the first instance serves before a burst without completions gets everything it needs: min(L, startDelay).</summary>
    public static TimeSpan Probe(DemandApp app, DemandPolicyOptions options) =>
        app.StartSeconds is { } l && TimeSpan.FromSeconds(l) < options.StartDelay ? TimeSpan.FromSeconds(l) : options.StartDelay;

    /// <summary>The waiting requests held back now (0 to <paramref name="waiting"/> less the T records); asks to be evaluated when the hold ends.</summary>
    /// <param name="oneComing">An instance is starting or about to (a pending start, a start request now).</param>
    public static int Held(DemandApp app, int waiting, bool oneComing, DemandRound round)
    {
        var queuedOnly = waiting - app.Signals.Count;
        if (queuedOnly <= 0 || app.ServiceSeconds is not null)
        {
            return 0;
        }

        if (app.FirstUpAt is not { } up)
        {
            // Nothing is up yet: the instance the start request (S record) asked for comes first.
            return oneComing ? queuedOnly : 0;
        }

        var end = up + Probe(app, round.Options);
        if (round.Now >= end)
        {
            return 0;
        }

        round.WakeBy(end);
        return queuedOnly;
    }
}
