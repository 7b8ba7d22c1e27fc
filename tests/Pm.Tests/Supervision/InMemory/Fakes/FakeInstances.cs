using Pm.Posix;
using Pm.Supervision;

namespace Pm.Tests.Supervision.InMemory.Fakes;

/// <summary>
/// <see cref="InstanceLifecycle"/> in memory: an instance is a record with a made-up pid; nothing is spawned,
/// signalled or reaped. What the units asked for is kept, in order, in <see cref="Actions"/> and <see cref="Attempts"/>.
/// </summary>
public sealed class FakeInstances(TimeProvider time) : IInstanceStarter, IInstanceStopper
{
    private readonly List<Instance> _live = [];
    private int _nextPid = 4001;
    private long _nextId;

    /// <summary>A start asked for: when, in which slot, and the instance (null when it failed).</summary>
    public sealed record Attempt(DateTimeOffset At, string App, int Slot, Instance? Instance);

    /// <summary>How many of the next starts fail, as a missing executable would.</summary>
    public int FailingStarts { get; set; }

    public List<Attempt> Attempts { get; } = [];

    /// <summary>Signals and reports, in the order asked for ("SIGTERM web[4001]", "SIGKILL everything left", "reported app[4002]").</summary>
    public List<string> Actions { get; } = [];

    /// <summary>Descendants outside every instance that <see cref="ReapOrphans"/> finds still running.</summary>
    public int Orphans { get; set; }

    public bool OrphanGroups { get; set; }

    public IReadOnlyCollection<Instance> Live => _live;

    public int LiveCount => _live.Count;

    public bool HasOrphanGroups => OrphanGroups;

    public Instance? StartQuietly(SupervisedApp app, int slot, out string? error)
    {
        var now = time.GetUtcNow();
        if (FailingStarts > 0)
        {
            FailingStarts--;
            error = "posix_spawn: No such file or directory";
            Attempts.Add(new Attempt(now, app.Name, slot, null));
            return null;
        }

        error = null;
        var instance = new Instance(++_nextId, app, slot, _nextPid++, now) { StateSince = now, Ready = true };
        app.Instances.Add(instance);
        _live.Add(instance);
        Attempts.Add(new Attempt(now, app.Name, slot, instance));
        return instance;
    }

    /// <summary>The kind each start was logged under, in order.</summary>
    public List<string> StartKinds { get; } = [];

    public void LogStarted(Instance instance, string reason, string kind) => StartKinds.Add(kind);

    public void ReportExit(Instance instance) => Actions.Add($"reported {instance}");

    public void Stop(Instance instance, TimeSpan grace, string reason, string kind, TimeSpan? drainFor = null, InstanceLifecycle.Diagnose? diagnose = null)
    {
        if (instance.State != InstancePhase.Running)
        {
            return;
        }

        instance.State = InstancePhase.Stopping;
        instance.StopReason = reason;
        instance.StopGrace = grace;
        Actions.Add($"SIGTERM {instance}");
    }

    public void KillAll() => Actions.Add("SIGKILL everything left");

    public int ReapOrphans() => Orphans;

    /// <summary>What the child watcher and <see cref="InstanceLifecycle.Reap"/> do when an instance's process ends now.</summary>
    public WaitStatus Reap(Instance instance, WaitStatus status)
    {
        var now = time.GetUtcNow();
        instance.State = InstancePhase.Exited;
        instance.ExitStatus = status;
        instance.ExitedAt = now;
        instance.HealthyTimer?.Dispose();
        _live.Remove(instance);
        instance.App.Instances.Remove(instance);
        instance.App.LastExit = new ExitRecord(instance.Pid, now, status.ToString(), now - instance.StartedAt);
        return status;
    }

    public static WaitStatus ExitCode(int code) => new(code << 8);

    public static WaitStatus KilledBy(int signal) => new(signal);
}
