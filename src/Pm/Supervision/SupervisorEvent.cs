using Pm.Status;

namespace Pm.Supervision;

/// <summary>Everything that wakes the supervisor loop. Producers only post; the loop alone changes state.</summary>
public abstract record SupervisorEvent
{
    public sealed record ChildExited(Instance Instance, ExitNotice Notice) : SupervisorEvent;

    public sealed record SlotStartDue(StaticApp App, AppSlot Slot) : SupervisorEvent;

    public sealed record EscalationDue(Instance Instance) : SupervisorEvent;

    public sealed record DrainCheck(Instance Instance) : SupervisorEvent;

    public sealed record InstanceHealthy(Instance Instance) : SupervisorEvent;

    public sealed record OrphansMayExist : SupervisorEvent;

    public sealed record OrphanGroupCheck(int ProcessGroup, string Owner, bool Killed) : SupervisorEvent;

    public sealed record DemandBatch(IReadOnlyList<(string Path, Pm.Policy.PolicyEvent Event)> Items) : SupervisorEvent;

    /// <summary>A timer of a component that runs on the loop (the scaling engine's, through <see cref="LoopTimeProvider"/>).</summary>
    public sealed record TimerDue(TimerCallback Callback, object? State) : SupervisorEvent;

    public sealed record StatusQuery(TaskCompletionSource<StatusReport> Reply) : SupervisorEvent;

    public sealed record ShutdownRequested(TaskCompletionSource Done) : SupervisorEvent;

    public sealed record ShutdownAppsDue : SupervisorEvent;

    public sealed record ShutdownDeadline : SupervisorEvent;

    public sealed record ShutdownSweep : SupervisorEvent;
}
