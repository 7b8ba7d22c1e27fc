namespace Pm.Status;

/// <summary>One app the PM runs or knows (static, dynamic, web or external), as the status report shows it.</summary>
public sealed record AppStatus(
    string Name,
    string Kind,
    string Address,
    string? Url,
    int DesiredInstances,
    long Restarts,
    int ConsecutiveFailures,
    DateTimeOffset? NextStartAt,
    string? LastDecision,
    ExitStatusReport? LastExit,
    long? Requests,
    IReadOnlyList<InstanceStatus> Instances,
    IReadOnlyDictionary<string, double>? Load = null,
    string? Policy = null,
    string? LoadSummary = null,
    KillReport? LastKill = null)
{
    /// <summary>Connections waiting in the app's accept queue now; null where unknown (external apps).</summary>
    public int? AcceptQueue { get; init; }

    /// <summary>The longest the accept queue has been since the PM started.</summary>
    public int? AcceptQueueMax { get; init; }

    /// <summary>Requests the web processes are forwarding to the app now.</summary>
    public int? InFlight { get; init; }

    /// <summary>Times its policy wanted more instances than maxClassProcesses or maxProcesses let start, each stretch once; null where the app has no such maximum (static, web, external).</summary>
    public long? MaxInstancesReached { get; init; }

    /// <summary>Requests that ran past -slow-log.</summary>
    public long SlowRequests { get; init; }

    /// <summary>From a request's arrival at a web process until it had a connection to the app; null where no web process counted any.</summary>
    public HistogramReport? QueueWait { get; init; }

    /// <summary>From the connection to the app until the end of the answer.</summary>
    public HistogramReport? ServiceTime { get; init; }

    /// <summary>Instances started, by why (static: start, restart, replace, recycle, reload; dynamic: the policy's decision kind).</summary>
    public IReadOnlyDictionary<string, long>? Spawns { get; init; }

    /// <summary>Instances stopped by the PM, by why.</summary>
    public IReadOnlyDictionary<string, long>? Kills { get; init; }

    /// <summary>The policy's decisions applied, by kind (dynamic apps).</summary>
    public IReadOnlyDictionary<string, long>? Decisions { get; init; }

    /// <summary>Its last minutes: instances, busy and queue sampled, and the starts and stops; null for external apps.</summary>
    public AppHistoryReport? History { get; init; }
}
