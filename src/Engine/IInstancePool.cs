using Pm.Policy;

namespace Pm.Engine;

/// <summary>
/// The instances the <see cref="ScalingEngine"/> scales: the PM implements it with real processes (posix_spawn,
/// the kernel's socket table, drained stops), the simulator with simulated instances in virtual time. The engine
/// calls it from its own loop only, never concurrently.
/// </summary>
public interface IInstancePool
{
    /// <summary>
    /// Makes the app ready to have instances (the PM checks the path is a dynamic app under a root and opens its
    /// socket). Returns the name of the policy group that governs it, or null when it cannot be run; the pool
    /// reports why.
    /// </summary>
    string? Open(string appId);

    /// <summary>The app has no instance, no pending start and no request waiting: it gives up its socket.</summary>
    void Release(string appId);

    /// <summary>Brings what the pool knows of these apps' instances and accept queues up to date (the PM asks the kernel).</summary>
    void Refresh(IReadOnlyCollection<string> appIds, DateTimeOffset now);

    /// <summary>The app's live instances as the policy sees them, and its accept queue.</summary>
    AppView View(string appId, int pendingStarts, DateTimeOffset now);

    /// <summary>The app's live instances, retiring ones included.</summary>
    int InstanceCount(string appId);

    /// <summary>Connections waiting in the app's accept queue at the last <see cref="Refresh"/>: requests no instance has taken yet.</summary>
    int QueuedConnections(string appId);

    /// <summary>
    /// The app's live instances that will take a queued connection without a new start: idle (as the last
    /// <see cref="Refresh"/> saw them), or still starting.
    /// </summary>
    int FreeInstances(string appId);

    /// <summary>Starts an instance: its id, or null with <paramref name="error"/> saying why it could not be started.</summary>
    long? Start(string appId, string reason, out string? error);

    /// <summary>Retires an instance gracefully (it finishes the request it holds); false if it is gone or already stopping.</summary>
    bool Retire(string appId, long instanceId, string reason);

    /// <summary>Live instances across every dynamic app (starting, idle, busy and retiring).</summary>
    int TotalInstances { get; }

    /// <summary>The machine's idle CPU share over about the last second (see <see cref="GlobalView.CpuIdleShare"/>), as of the last <see cref="Refresh"/>; null when not known.</summary>
    double? CpuIdleShare { get; }

    /// <summary>The machine's cores (see <see cref="GlobalView.Cores"/>); null when not known.</summary>
    int? Cores { get; }
}
