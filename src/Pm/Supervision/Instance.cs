using Pm.Posix;

namespace Pm.Supervision;

/// <summary>
/// One running copy of an app: a process that leads its own process group (pgid == pid), so every signal goes
/// to the group and reaches whatever the app forked.
/// </summary>
public sealed class Instance
{
    public Instance(long id, SupervisedApp app, int slot, int pid, DateTimeOffset startedAt)
    {
        Id = id;
        App = app;
        Slot = slot;
        Pid = pid;
        StartedAt = startedAt;
    }

    public long Id { get; }

    public SupervisedApp App { get; }

    /// <summary>The static app's slot it runs in; -1 for a dynamic app's instance.</summary>
    public int Slot { get; }

    public int Pid { get; }

    public int ProcessGroup => Pid;

    public DateTimeOffset StartedAt { get; }

    public InstancePhase State { get; set; } = InstancePhase.Running;

    /// <summary>Why it is being stopped, when it is.</summary>
    public string? StopReason { get; set; }

    /// <summary>When SIGKILL follows the SIGTERM already sent.</summary>
    public DateTimeOffset? KillAt { get; set; }

    public ITimer? EscalationTimer { get; set; }

    /// <summary>Time between SIGTERM and SIGKILL for the stop under way.</summary>
    public TimeSpan StopGrace { get; set; }

    /// <summary>When draining: the time by which it is stopped even if it still holds a request.</summary>
    public DateTimeOffset? DrainUntil { get; set; }

    public ITimer? DrainTimer { get; set; }

    /// <summary>Whether the last probe saw it holding a connection from a web process (a request).</summary>
    public bool HoldsRequest { get; set; }

    /// <summary>Whether it has ever been seen holding a request: until then a dynamic instance may still be starting.</summary>
    public bool EverServed { get; set; }

    /// <summary>Whether it has been seen waiting for work or serving: until then it is still starting.</summary>
    public bool Ready { get; set; }

    /// <summary>When <see cref="HoldsRequest"/> or <see cref="Ready"/> last changed.</summary>
    public DateTimeOffset StateSince { get; set; }

    public ITimer? HealthyTimer { get; set; }

    /// <summary>Fires at -spawn-timeout after the start; disposed once the instance is ready.</summary>
    public ITimer? SpawnTimer { get; set; }

    /// <summary>
    /// Whether the stop under way is a kill for a limit after which a static app's slot starts again (a replacement),
    /// rather than a retirement (the policy's, a shutdown's) after which nothing takes its place.
    /// </summary>
    public bool ReplaceAfterStop { get; set; }

    /// <summary>Whether it was killed because it never became ready: for the backoff, a failed start however long it took.</summary>
    public bool FailedStart { get; set; }

    /// <summary>Whether a diagnosis is being taken before its SIGTERM.</summary>
    public bool Diagnosing { get; set; }

    public ITimer? DiagnosisTimer { get; set; }

    /// <summary>When the health round last saw it neither waiting for work nor holding a request (null: it was doing one).</summary>
    public DateTimeOffset? NeitherSince { get; set; }

    /// <summary>CPU time of each process of its group when it was last seen waiting for work: what "since the request started" is measured from.</summary>
    public IReadOnlyDictionary<int, TimeSpan>? CpuWhenIdle { get; set; }

    public DateTimeOffset? CpuWhenIdleAt { get; set; }

    /// <summary>The page libpm-shim.so counts its requests in; null without the shim (web processes, no library). Disposed when it is reaped.</summary>
    public Spawning.InstancePage? Page { get; set; }

    /// <summary>The most connections it may take (-max-requests plus its jitter); 0: no limit.</summary>
    public long RequestLimit { get; set; }

    /// <summary>Connections it has taken on fd 0 (requests, for an app that does not multiplex); null when not counted.</summary>
    public long? Requests => Page is { ShimLoaded: true } page ? page.Accepted : RequestsAtExit;

    /// <summary>Its count when it was reaped.</summary>
    public long? RequestsAtExit { get; set; }

    /// <summary>Its memory at the last sample, and when that was.</summary>
    public Diagnosis.MemoryUsage? Memory { get; set; }

    public DateTimeOffset? MemoryAt { get; set; }

    /// <summary>CPU time its process group had used at the last sample (taken with the memory sample), and when.</summary>
    public TimeSpan? Cpu { get; private set; }

    public DateTimeOffset? CpuAt { get; private set; }

    /// <summary>CPU used between the last two samples, as a share of one core (1 = one core busy all along); null until two samples.</summary>
    public double? CpuShare { get; private set; }

    /// <summary>Records a CPU sample; a sum that went down (a member exited) gives no share this time rather than a negative one.</summary>
    public void SampleCpu(TimeSpan cpu, DateTimeOffset at)
    {
        CpuShare = Cpu is { } before && CpuAt is { } then && at > then && cpu >= before
            ? (cpu - before) / (at - then)
            : null;
        Cpu = cpu;
        CpuAt = at;
    }

    /// <summary>Why it is being recycled (its replacement started first), when it is.</summary>
    public string? RecycleReason { get; set; }

    /// <summary>The <see cref="ReasonKind"/> its retirement is counted under (max_requests, memory_limit, reload, restart).</summary>
    public string RecycleKind { get; set; } = ReasonKind.Recycle;

    /// <summary>A dynamic instance's replacement, started when its recycling began (a static one's is in its slot).</summary>
    public Instance? Replacement { get; set; }

    /// <summary>Whether it serves up to its -max-requests before it is retired (a recycling for its count); otherwise it goes once its replacement is ready.</summary>
    public bool RecycleAtLimit { get; set; }

    /// <summary>Whether a recycling of it is under way: its replacement started, it not yet retired.</summary>
    public bool BeingRecycled => RecycleReason is not null && State == InstancePhase.Running;

    /// <summary>When its recycling began.</summary>
    public DateTimeOffset? RecycleSince { get; set; }

    /// <summary>Whether its retirement ends with a frozen last look at its connections (see InstanceLifecycle.Retire).</summary>
    public bool FreezeBeforeStop { get; set; }

    /// <summary>Whether its group was sent SIGSTOP for the last look before its retirement (SIGCONT follows).</summary>
    public bool Frozen { get; set; }

    public WaitStatus? ExitStatus { get; set; }

    public DateTimeOffset? ExitedAt { get; set; }

    public override string ToString() => $"{App.Name}[{Pid}]";
}
