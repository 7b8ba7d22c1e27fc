namespace Pm.Supervision;

/// <summary>
/// What <see cref="ShutdownSequence"/> stops: the live instances, and what they leave behind (process groups that
/// outlived their leader, descendants re-parented to the PM). <see cref="InstanceLifecycle"/> is the real one;
/// tests give an in-memory one, so the order of a shutdown is tested without processes.
/// </summary>
public interface IInstanceStopper
{
    /// <summary>Every instance not yet reaped.</summary>
    IReadOnlyCollection<Instance> Live { get; }

    int LiveCount { get; }

    /// <summary>Whether process groups that outlived their leader are still there.</summary>
    bool HasOrphanGroups { get; }

    /// <summary>SIGTERM to the instance's process group (after draining, or a diagnosis, if asked), SIGKILL after <paramref name="grace"/>.</summary>
    /// <param name="kind">The <see cref="ReasonKind"/> the stop is counted under.</param>
    void Stop(Instance instance, TimeSpan grace, string reason, string kind, TimeSpan? drainFor = null, InstanceLifecycle.Diagnose? diagnose = null);

    /// <summary>SIGKILL to every live instance's group, to leftover groups and to stray descendants, now.</summary>
    void KillAll();

    /// <summary>Reaps descendants that are not instances; returns how many are still running.</summary>
    int ReapOrphans();
}
