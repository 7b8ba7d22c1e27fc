namespace Pm.Supervision;

/// <summary>
/// What <see cref="StaticAppSupervision"/> needs of the instances it keeps running: start one in a slot, and report
/// an exit once the slot's restart is decided. Exits reach <see cref="StaticAppSupervision.OnInstanceExited"/> from
/// the loop, after the lifecycle has reaped them. <see cref="InstanceLifecycle"/> is the real one (posix_spawn,
/// pidfds); tests give an in-memory one, so restart timing is tested without processes.
/// </summary>
public interface IInstanceStarter
{
    /// <summary>
    /// Spawns an instance of the app in the slot without logging its start (the restart path logs once the child
    /// runs); null, with why in <paramref name="error"/>, if it could not be started.
    /// </summary>
    Instance? StartQuietly(SupervisedApp app, int slot, out string? error);

    /// <summary>Logs the start of an instance <see cref="StartQuietly"/> spawned.</summary>
    /// <param name="kind">The <see cref="ReasonKind"/> the start is counted under.</param>
    void LogStarted(Instance instance, string reason, string kind);

    /// <summary>Logs how a reaped instance ended and deals with what is left of its process group.</summary>
    void ReportExit(Instance instance);
}
