namespace Pm.Supervision;

/// <summary>
/// Where an instance's process is in its life, as the supervisor sees it. Only the supervisor loop changes it.
/// Not the policies' <see cref="Pm.Policy.InstanceState"/> (starting, idle, busy, retiring), which the dynamic-app
/// manager derives from this and from the kernel's view of the instance's connections.
/// </summary>
public enum InstancePhase
{
    /// <summary>Started; accepting on the app's socket as far as the PM knows.</summary>
    Running,

    /// <summary>Being stopped: drained, then SIGTERM to its group, SIGKILL at the deadline.</summary>
    Stopping,

    /// <summary>Reaped.</summary>
    Exited,
}
