using Pm.Posix;

namespace Pm.Supervision;

/// <summary>
/// One running copy of an app: a process that leads its own process group (pgid == pid), so every signal goes
/// to the group and reaches whatever the app forked.
/// </summary>
public sealed class Instance
{
    public Instance(long id, ManagedApp app, int slot, int pid, DateTimeOffset startedAt)
    {
        Id = id;
        App = app;
        Slot = slot;
        Pid = pid;
        StartedAt = startedAt;
    }

    public long Id { get; }

    public ManagedApp App { get; }

    public int Slot { get; }

    public int Pid { get; }

    public int ProcessGroup => Pid;

    public DateTimeOffset StartedAt { get; }

    public InstanceState State { get; set; } = InstanceState.Running;

    /// <summary>Why it is being stopped, when it is.</summary>
    public string? StopReason { get; set; }

    /// <summary>When SIGKILL follows the SIGTERM already sent.</summary>
    public DateTimeOffset? KillAt { get; set; }

    public ITimer? EscalationTimer { get; set; }

    public ITimer? HealthyTimer { get; set; }

    public WaitStatus? ExitStatus { get; set; }

    public DateTimeOffset? ExitedAt { get; set; }

    public override string ToString() => $"{App.Name}[{Pid}]";
}
