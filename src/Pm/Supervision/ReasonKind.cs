namespace Pm.Supervision;

/// <summary>
/// The words a metric's `reason` label may take for starts and stops (pm_app_spawns_total, pm_app_kills_total). The
/// code that decides a start or a stop names its kind beside the sentence it logs, so the label never depends on how
/// a sentence is worded, and the set of label values stays this fixed one.
/// </summary>
public static class ReasonKind
{
    // Starts.

    /// <summary>With the PM, or added by a reload (an app, or slots of a higher -processes).</summary>
    public const string Start = "start";

    /// <summary>Its slot's instance ended, and it was started again.</summary>
    public const string Restart = "restart";

    /// <summary>A replacement before one is retired (-max-requests, -memory-limit, pm restart, a reload's roll).</summary>
    public const string Recycle = "recycle";

    /// <summary>A replacement of a stuck instance (-stuck-timeout); as a stop, the stuck one's.</summary>
    public const string Stuck = "stuck";

    /// <summary>A dynamic app's policy (started or retired).</summary>
    public const string Policy = "policy";

    // Stops (and <see cref="Stuck"/>, <see cref="Policy"/>).

    public const string SpawnTimeout = "spawn_timeout";

    public const string RequestTimeout = "request_timeout";

    public const string MaxRequests = "max_requests";

    public const string MemoryLimit = "memory_limit";

    /// <summary>Removed, or its slot dropped, by a reload; or rolled over by one.</summary>
    public const string Reload = "reload";

    /// <summary>Rolled over by `pm restart APP`.</summary>
    public const string PmRestart = "restart";

    public const string Shutdown = "shutdown";
}
