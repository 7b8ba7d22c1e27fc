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

    /// <summary>-spawn-timeout after an instance's start: is it ready?</summary>
    public sealed record SpawnTimeoutDue(Instance Instance) : SupervisorEvent;

    /// <summary>The periodic look at every instance: stuck ones, and CPU baselines of idle ones.</summary>
    public sealed record HealthRoundDue : SupervisorEvent;

    /// <summary>Time to look at the instances' request counts (-max-requests) and at the recyclings under way.</summary>
    public sealed record RecycleRoundDue : SupervisorEvent;

    /// <summary>A validated reload to carry out; <paramref name="Done"/> completes when it has all happened.</summary>
    public sealed record ReloadRequested(ReloadPlan Plan, TaskCompletionSource Done) : SupervisorEvent;

    /// <summary>Is the loop alive? (systemd's watchdog): answered on the loop.</summary>
    public sealed record Ping(TaskCompletionSource Reply) : SupervisorEvent;

    /// <summary>Time to look at the reload under way.</summary>
    public sealed record ReloadTick : SupervisorEvent;

    /// <summary>`pm restart APP`: roll the app's instances over; the reply says what happens.</summary>
    public sealed record RestartRequested(string App, TaskCompletionSource<string> Reply) : SupervisorEvent;

    /// <summary>Time to sample the instances' memory (off the loop).</summary>
    public sealed record MemoryRoundDue : SupervisorEvent;

    /// <summary>A memory sample, taken off the loop, by process group.</summary>
    public sealed record MemorySampled(IReadOnlyDictionary<int, Diagnosis.GroupUsage> ByGroup, DateTimeOffset At) : SupervisorEvent;

    /// <summary>A diagnosis ended, with its outcome or the problem that stopped it (or its bound ran out).</summary>
    public sealed record DiagnosisDone(Instance Instance, string Reason, bool Kill, DiagnosisOutcome? Outcome, string? Problem) : SupervisorEvent;

    /// <summary>A web process's 'L' or 'X' record: a request past -slow-log or -request-timeout.</summary>
    public sealed record OverdueRequest(Pm.Protocol.Queue.QueueRecord Record) : SupervisorEvent;

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
