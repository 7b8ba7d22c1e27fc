namespace Pm.Status;

/// <summary>
/// One live instance of an app: its pid and state (starting, idle, busy or stopping), the requests it has taken
/// (counted by libpm-shim.so; null where it does not run) and its limit, its memory at the last sample, and why it
/// is being recycled or stopped.
/// </summary>
public sealed record InstanceStatus(
    long Id,
    int Pid,
    string State,
    DateTimeOffset StartedAt,
    long? Requests,
    int Slot)
{
    /// <summary>-max-requests with its jitter; null: no limit.</summary>
    public long? RequestLimit { get; init; }

    /// <summary>Since when it holds the request it is serving (busy); null when idle.</summary>
    public DateTimeOffset? BusySince { get; init; }

    public long? RssBytes { get; init; }

    public long? PssBytes { get; init; }

    /// <summary>Private memory (USS), what -memory-limit judges.</summary>
    public long? PrivateBytes { get; init; }

    /// <summary>When the memory figures were sampled.</summary>
    public DateTimeOffset? MemorySampledAt { get; init; }

    /// <summary>Why it is being recycled, or stopped.</summary>
    public string? Note { get; init; }

    /// <summary>The request it is serving, as the web process holding it reports it; null when idle or unknown.</summary>
    public HeldRequest? Request { get; init; }

    /// <summary>CPU time (user + system) its process group has used, in seconds; null where unknown.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>CPU used between the PM's last two samples, in percent of one core; null until there are two.</summary>
    public double? CpuPercent { get; init; }
}
