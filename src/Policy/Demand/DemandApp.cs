namespace Pm.Policy;

/// <summary>The default policy's memory of one app between evaluations.</summary>
internal sealed class DemandApp
{
    public DemandApp(string appId, DemandPolicyOptions options)
    {
        AppId = appId;
        Tokens = new TokenBucket(options.SpawnBurst, options.SpawnRate);
    }

    public string AppId { get; }

    /// <summary>Times more instances were wanted than maxClassProcesses or maxProcesses let start.</summary>
    public MaxReachedCount MaxReached { get; } = new();

    /// <summary>Requested at least once (S/T) or seen with instances; only then is minClassProcesses kept.</summary>
    public bool Activated { get; set; }

    /// <summary>
    /// An S record arrived since the last evaluation: the app is needed now, however late the record was delivered
    /// (its timestamp may already be older than startDelay when the PM is busy or replays its spool).
    /// </summary>
    public bool StartRequested { get; set; }

    /// <summary>
    /// Times of T records within the last startDelay that no dispatch has answered yet, oldest first. A waiting
    /// request sends one record per startDelay, so the count estimates the requests waiting longer than that.
    /// </summary>
    public Queue<DateTimeOffset> Signals { get; } = new();

    /// <summary>C record times within the last idleTimeout, for the arrival rate.</summary>
    public Queue<DateTimeOffset> Completions { get; } = new();

    /// <summary>C record times within the last second, for the arrival rate that drain credit subtracts.</summary>
    public Queue<DateTimeOffset> RecentCompletions { get; } = new();

    /// <summary>The working level at each evaluation of the last second, for Little's law (<see cref="DrainCredit.Occupancy"/>).</summary>
    public WorkingLevels Working { get; } = new();

    /// <summary>Smoothed service time in seconds, from C records.</summary>
    public double? ServiceSeconds { get; set; }

    /// <summary>Smoothed queue time in seconds, from C records.</summary>
    public double? QueueSeconds { get; set; }

    /// <summary>Peak per-second average of busy instances over idleTimeout: the scale-down floor.</summary>
    public PeakAverage PeakDemand { get; } = new();

    /// <summary>When the first of its instances now up came up, while no request has completed yet (<see cref="ColdStartHold"/>).</summary>
    public DateTimeOffset? FirstUpAt { get; set; }

    /// <summary>Smoothed time from spawn to the first state after Starting, in seconds; null until one was seen.</summary>
    public double? StartSeconds { get; set; }

    /// <summary>
    /// Instances that were Starting at the previous evaluation, or spawned since: one now up is newly ready (its
    /// start latency is measured), and one now Busy took a waiting request.
    /// </summary>
    public HashSet<long> Starting { get; set; } = [];

    /// <summary>The previous evaluation; instances started after it are new.</summary>
    public DateTimeOffset? LastEvaluated { get; set; }

    /// <summary>When this policy last started instances for the app: no scale-down for idleTimeout after it.</summary>
    public DateTimeOffset? LastScaleUp { get; set; }

    /// <summary>Its instances were retired to make room for another app: nothing is started back for minClassProcesses until it is requested again.</summary>
    public bool Reclaimed { get; set; }

    /// <summary>Requests each live instance had served at the last evaluation.</summary>
    public Dictionary<long, long> Served { get; } = [];

    public TokenBucket Tokens { get; }

    public int ConsecutiveFailures { get; set; }

    public DateTimeOffset? LastFailureAt { get; set; }

    public DateTimeOffset? BackoffUntil { get; set; }

    /// <summary>Instances started before this run the old binary and are replaced.</summary>
    public DateTimeOffset? StaleBefore { get; set; }

    /// <summary>How many instances the app had when its binary changed: the capacity the replacements restore.</summary>
    public int ReplacementTarget { get; set; }

    /// <summary>A BinaryChanged arrived in this evaluation and the replacement target is still to be taken.</summary>
    public bool BinaryChangePending { get; set; }

    /// <summary>Drops the T and C records that have left their windows by <paramref name="now"/>.</summary>
    public void TrimWindows(DateTimeOffset now, DemandPolicyOptions options)
    {
        // One request's T records are a timer period apart, and a timer may fire a little early against the
        // records' clock (millisecond ticks): counting over 0.8 startDelay keeps one request to one record.
        while (Signals.Count > 0 && Signals.Peek() <= now - (options.StartDelay * DemandPolicy.SignalWindowShare))
        {
            Signals.Dequeue();
        }

        while (Completions.Count > 0 && Completions.Peek() <= now - options.IdleTimeout)
        {
            Completions.Dequeue();
        }

        while (RecentCompletions.Count > 0 && RecentCompletions.Peek() <= now - DrainCredit.RecentWindow)
        {
            RecentCompletions.Dequeue();
        }

        Working.Trim(now - DrainCredit.RecentWindow);
    }
}
