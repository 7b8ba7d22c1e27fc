namespace Pm.Simulation;

/// <summary>What a scheduled simulation event does when its time comes.</summary>
internal enum SimEventKind
{
    Arrival,
    StartDelayElapsed,
    ConnTimeout,
    InstanceReady,
    ServiceDone,
    InstanceExit,

    /// <summary>A timer of the engine's (<see cref="VirtualTime"/>).</summary>
    Timer,
}
