namespace Pm.Policy;

/// <summary>
/// One app's instances in one snapshot, sorted by what the policy does with them: of the current binary (fresh) or
/// an older one (stale); starting, idle, busy or retiring. Taking the census also brings the app's memory up to the
/// snapshot: the requests each instance has served, the start latency of instances that came up, and the waiting
/// requests that instances now busy or idle have taken.
/// </summary>
internal sealed class DemandCensus
{
    private readonly List<InstanceView> _freshIdle = [];
    private readonly List<InstanceView> _staleIdle = [];

    private DemandCensus()
    {
    }

    public IReadOnlyList<InstanceView> FreshIdle => _freshIdle;

    public IReadOnlyList<InstanceView> StaleIdle => _staleIdle;

    public int Idle => _freshIdle.Count + _staleIdle.Count;

    public int Busy { get; private set; }

    public int FreshBusy { get; private set; }

    public int FreshStarting { get; private set; }

    public int Retiring { get; private set; }

    /// <summary>Live instances (starting, idle or busy) of the old binary.</summary>
    public int StaleLive { get; private set; }

    /// <summary>Summed age of starting instances, each capped at the spawn latency: what they take before a new one is up.</summary>
    public double StartingSeconds { get; private set; }

    public static DemandCensus Take(DemandApp app, AppView view, DateTimeOffset now)
    {
        var census = new DemandCensus();
        var starting = new HashSet<long>();
        var dispatched = 0;
        DateTimeOffset? firstUp = null;
        app.Served.Clear();
        foreach (var instance in view.Instances)
        {
            app.Served[instance.InstanceId] = instance.RequestsServed;
            var newlyUp = IsNewlyUp(app, instance);
            if (newlyUp)
            {
                // Left Starting since the last evaluation; StateSince bounds the moment it became ready.
                app.StartSeconds = Smoothing.Next(app.StartSeconds, Math.Max(0, (instance.StateSince - instance.StartedAt).TotalSeconds));
            }

            if (instance.State is InstanceState.Idle or InstanceState.Busy)
            {
                var since = instance.StateSince < now ? instance.StateSince : now;
                firstUp = firstUp is { } f && f < since ? f : since;
            }

            if (instance.State == InstanceState.Starting)
            {
                starting.Add(instance.InstanceId);
            }
            else if (instance.State == InstanceState.Busy && newlyUp)
            {
                dispatched++;
            }

            var stale = app.StaleBefore is { } before && instance.StartedAt < before;
            census.Count(instance, stale, app.StartSeconds ?? 0, now);
        }

        // A new instance found busy took a waiting request; with any instance idle, nothing waits.
        for (var i = 0; i < dispatched && app.Signals.Count > 0; i++)
        {
            app.Signals.Dequeue();
        }

        if (census.Idle > 0)
        {
            app.Signals.Clear();
        }

        // The first instance up since the app had none: kept while one is up, forgotten when none is.
        app.FirstUpAt = firstUp is null ? null : app.FirstUpAt ?? firstUp;
        app.Starting = starting;
        app.LastEvaluated = now;
        return census;
    }

    // Up (idle or busy) and Starting at the previous evaluation, or spawned since.
    private static bool IsNewlyUp(DemandApp app, InstanceView instance) =>
        instance.State is InstanceState.Idle or InstanceState.Busy
        && (app.Starting.Contains(instance.InstanceId) || (app.LastEvaluated is { } previous && instance.StartedAt > previous));

    private void Count(InstanceView instance, bool stale, double startSeconds, DateTimeOffset now)
    {
        switch (instance.State)
        {
            case InstanceState.Starting:
                StartingSeconds += Math.Min(Math.Max(0, (now - instance.StartedAt).TotalSeconds), startSeconds);
                if (stale)
                {
                    StaleLive++;
                }
                else
                {
                    FreshStarting++;
                }

                break;
            case InstanceState.Idle:
                if (stale)
                {
                    StaleLive++;
                    _staleIdle.Add(instance);
                }
                else
                {
                    _freshIdle.Add(instance);
                }

                break;
            case InstanceState.Busy:
                Busy++;
                if (stale)
                {
                    StaleLive++;
                }
                else
                {
                    FreshBusy++;
                }

                break;
            default:
                Retiring++;
                break;
        }
    }
}
