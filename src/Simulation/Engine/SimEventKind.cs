namespace Pm.Simulation;

/// <summary>What a scheduled simulation event does when its time comes.</summary>
internal enum SimEventKind
{
    Arrival,
    StartDelayElapsed,
    ConnTimeout,
    SpawnDue,
    InstanceReady,
    ServiceDone,
    InstanceExit,
    Wake,
}
