namespace Pm.Supervision;

/// <summary>Where an instance is in its life. Only the supervisor loop changes it.</summary>
public enum InstanceState
{
    /// <summary>Started; accepting on the app's socket as far as the PM knows.</summary>
    Running,

    /// <summary>Being stopped: drained, then SIGTERM to its group, SIGKILL at the deadline.</summary>
    Stopping,

    /// <summary>Reaped.</summary>
    Exited,
}
