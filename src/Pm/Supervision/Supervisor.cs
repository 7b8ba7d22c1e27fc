using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Policy.Restart;
using Pm.Posix;
using Pm.Spawning;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// The heart of the PM: one loop that owns all state and reacts to events. Producers (the child watcher's
/// thread, timers, signal handlers, the control socket) only post events; the loop alone spawns, reaps, signals
/// and schedules, so no state is shared between threads and no lock is needed.
///
/// Constraints it keeps:
/// - Reaping is waitpid(pid, WNOHANG) on the one pid whose pidfd became readable, never waitpid(-1), which would
///   steal statuses from the .NET runtime's own children.
/// - Every signal goes to a process group (every instance leads one), so what an app forked goes with it. After
///   an instance's leader exits, whatever is left in its group is terminated too, so no orphan keeps serving.
/// - Every stop goes through <see cref="StopInstance"/>: SIGTERM to the group, SIGKILL at the deadline.
/// - Restarts are decided by <see cref="RestartBackoff"/> (pure); a crash-looping app only delays its own slots.
/// </summary>
public sealed class Supervisor
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// SIGCHLD arrives for every instance exit too, and those are handled through pidfds at once. The scan for
    /// orphans (a /proc read per PM thread) is therefore deferred and coalesced, to stay off the restart path;
    /// orphans are still reaped well within 50 ms.
    /// </summary>
    private static readonly TimeSpan OrphanScanDelay = TimeSpan.FromMilliseconds(10);
    private int _orphanScanPending;
    private static readonly TimeSpan ShutdownSweepLimit = TimeSpan.FromSeconds(3);

    private readonly PmConfig _config;
    private readonly IReadOnlyList<ManagedApp> _apps;
    private readonly ISpawner _spawner;
    private readonly ChildWatcher _watcher;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly ILogger _appLog;
    private readonly Channel<SupervisorEvent> _events = Channel.CreateUnbounded<SupervisorEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<int, Instance> _byPid = [];
    private readonly Dictionary<int, string> _orphanGroups = [];
    private readonly DateTimeOffset _startedAt;
    private readonly EventTimers _timers;
    private long _nextInstanceId;
    private TaskCompletionSource? _shutdown;
    private DateTimeOffset _shutdownDeadline;
    private bool _deadlinePassed;
    private Task? _loop;

    public Supervisor(PmConfig config, IReadOnlyList<ManagedApp> apps, ISpawner spawner, ChildWatcher watcher,
        TimeProvider time, Random random, ILoggerFactory loggers)
    {
        _config = config;
        _apps = apps;
        _spawner = spawner;
        _watcher = watcher;
        _time = time;
        _random = random;
        _log = loggers.CreateLogger("pm");
        _appLog = loggers.CreateLogger("app");
        _startedAt = time.GetUtcNow();
        _timers = new EventTimers(time, Post);
    }

    public IReadOnlyList<ManagedApp> Apps => _apps;

    /// <summary>Starts every static app's instances, then runs the loop until shutdown completes.</summary>
    public void Start()
    {
        foreach (var app in _apps)
        {
            foreach (var slot in app.Slots)
            {
                StartInstance(app, slot, "the PM started");
            }
        }

        _loop = Task.Run(RunLoopAsync);
    }

    public Task<StatusReport> QueryStatusAsync()
    {
        var reply = new TaskCompletionSource<StatusReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SupervisorEvent.StatusQuery(reply));
        return reply.Task;
    }

    /// <summary>SIGTERM to every group, SIGKILL to what is left after the grace period, reap everything.</summary>
    public async Task ShutdownAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SupervisorEvent.ShutdownRequested(done));
        await done.Task.ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }

    /// <summary>Called on SIGCHLD: an orphan re-parented to the PM (a subreaper) may be waiting to be reaped.</summary>
    public void NotifyChildSignal()
    {
        if (Interlocked.Exchange(ref _orphanScanPending, 1) == 0)
        {
            _timers.After(OrphanScanDelay, new SupervisorEvent.OrphansMayExist());
        }
    }

    private void Post(SupervisorEvent e) => _events.Writer.TryWrite(e);

    private async Task RunLoopAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Handle(e);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "supervisor: unexpected error handling {Event}", e.GetType().Name);
            }

            if (_shutdown is not null && _shutdown.Task.IsCompleted)
            {
                return;
            }
        }
    }

    private void Handle(SupervisorEvent e)
    {
        switch (e)
        {
            case SupervisorEvent.ChildExited x:
                OnChildExited(x.Instance);
                break;
            case SupervisorEvent.SlotStartDue x:
                x.Slot.StartTimer?.Dispose();
                x.Slot.StartTimer = null;
                x.Slot.StartAt = null;
                if (_shutdown is null && x.Slot.Current is null)
                {
                    StartInstance(x.App, x.Slot, "its scheduled restart is due");
                }

                break;
            case SupervisorEvent.EscalationDue x:
                OnEscalationDue(x.Instance);
                break;
            case SupervisorEvent.InstanceHealthy x:
                OnInstanceHealthy(x.Instance);
                break;
            case SupervisorEvent.OrphansMayExist:
                Volatile.Write(ref _orphanScanPending, 0);
                ReapOrphans();
                if (_shutdown is not null)
                {
                    CheckShutdownComplete();
                }

                break;
            case SupervisorEvent.OrphanGroupCheck x:
                OnOrphanGroupCheck(x);
                break;
            case SupervisorEvent.StatusQuery x:
                x.Reply.TrySetResult(BuildStatus());
                break;
            case SupervisorEvent.ShutdownRequested x:
                OnShutdownRequested(x.Done);
                break;
            case SupervisorEvent.ShutdownDeadline:
                OnShutdownDeadline();
                break;
            case SupervisorEvent.ShutdownSweep:
                ReapOrphans();
                CheckShutdownComplete();
                break;
        }
    }

    private void StartInstance(ManagedApp app, AppSlot slot, string reason)
    {
        var now = _time.GetUtcNow();
        SpawnedProcess spawned;
        try
        {
            spawned = _spawner.Spawn(app.Spec);
        }
        catch (PosixException ex)
        {
            _log.LogError("app {App}: cannot start: {Error}", app.Name, ex.Message);
            slot.LastStart = now;
            ScheduleRestart(app, slot, new InstanceEnd(now, now, ExitedCleanly: false, $"start failed ({ex.Message})"));
            return;
        }

        var instance = new Instance(++_nextInstanceId, app, slot.Index, spawned.Pid, now);
        slot.Current = instance;
        slot.LastStart = now;
        _byPid[instance.Pid] = instance;
        _watcher.Watch(spawned.PidFd, spawned.OutputFd,
            line => _appLog.LogInformation("{App}[{Pid}]: {Line}", app.Name, instance.Pid, line),
            () => Post(new SupervisorEvent.ChildExited(instance)));
        if (app.ConsecutiveFailures > 0)
        {
            // Failures reset once an instance stays up for min-server-life.
            instance.HealthyTimer = _timers.After(app.Restart.MinServerLife, new SupervisorEvent.InstanceHealthy(instance));
        }

        _log.LogInformation("app {App}: started pid {Pid} in slot {Slot}: {Reason}", app.Name, instance.Pid, slot.Index, reason);
    }

    private void OnChildExited(Instance instance)
    {
        WaitStatus? status;
        try
        {
            status = ChildProcess.WaitPidExitedNoHang(instance.Pid);
        }
        catch (PosixException ex) when (ex.Errno == 10)
        {
            _log.LogError("app {App}: pid {Pid} exited but its status was taken by someone else (ECHILD): is SIGCHLD ignored by the PM's parent?", instance.App.Name, instance.Pid);
            status = null;
        }

        var now = _time.GetUtcNow();
        var how = status?.ToString() ?? "exit status unknown";
        var lifetime = now - instance.StartedAt;
        instance.State = InstanceState.Exited;
        instance.ExitStatus = status;
        instance.ExitedAt = now;
        instance.EscalationTimer?.Dispose();
        instance.HealthyTimer?.Dispose();
        _byPid.Remove(instance.Pid);
        var app = instance.App;
        var slot = app.Slots[instance.Slot];
        if (ReferenceEquals(slot.Current, instance))
        {
            slot.Current = null;
        }

        app.LastExit = new ExitRecord(instance.Pid, now, how, lifetime);
        var stopped = instance.StopReason is not null;
        var level = stopped || status is { Clean: true } ? LogLevel.Information : LogLevel.Warning;
        _log.Log(level, "app {App}: pid {Pid} exited: {How} after {Lifetime:0.###} s{Stopped}", app.Name, instance.Pid, how,
            lifetime.TotalSeconds, stopped ? $" (stopped: {instance.StopReason})" : "");

        TerminateGroupLeftovers(instance);

        if (_shutdown is not null)
        {
            CheckShutdownComplete();
            return;
        }

        if (!stopped)
        {
            ScheduleRestart(app, slot, new InstanceEnd(instance.StartedAt, now, status is { Clean: true }, how));
        }
    }

    private void ScheduleRestart(ManagedApp app, AppSlot slot, InstanceEnd end)
    {
        var decision = RestartBackoff.Decide(app.Restart, end, app.ConsecutiveFailures, _random);
        app.ConsecutiveFailures = decision.ConsecutiveFailures;
        app.Restarts++;
        app.LastDecision = $"slot {slot.Index}: {decision.Reason}";
        var now = _time.GetUtcNow();
        if (decision.BackingOff)
        {
            _log.LogWarning("app {App}: slot {Slot}: {Reason}", app.Name, slot.Index, decision.Reason);
        }

        else
        {
            _log.LogInformation("app {App}: slot {Slot}: {Reason}", app.Name, slot.Index, decision.Reason);
        }

        if (decision.StartAt <= now)
        {
            StartInstance(app, slot, $"replacing pid {app.LastExit?.Pid}");
            return;
        }

        slot.CancelStart();
        slot.StartAt = decision.StartAt;
        slot.StartTimer = _timers.After(decision.StartAt - now, new SupervisorEvent.SlotStartDue(app, slot));
    }

    private void OnInstanceHealthy(Instance instance)
    {
        if (instance.State != InstanceState.Running || instance.App.ConsecutiveFailures == 0)
        {
            return;
        }

        var app = instance.App;
        _log.LogInformation("app {App}: pid {Pid} has stayed up for min-server-life ({Life:0.###} s): recovered after {Failures} failures in a row",
            app.Name, instance.Pid, app.Restart.MinServerLife.TotalSeconds, app.ConsecutiveFailures);
        app.ConsecutiveFailures = 0;
        app.LastDecision = $"recovered: pid {instance.Pid} stayed up for min-server-life";
    }

    /// <summary>
    /// The one way an instance is stopped: SIGTERM to its process group now, SIGKILL to the group if it has not
    /// exited by the deadline. Draining (waiting until it holds no request) will slot in before the SIGTERM.
    /// </summary>
    private void StopInstance(Instance instance, TimeSpan grace, string reason)
    {
        if (instance.State != InstanceState.Running)
        {
            return;
        }

        instance.State = InstanceState.Stopping;
        instance.StopReason = reason;
        instance.KillAt = _time.GetUtcNow() + grace;
        _log.LogInformation("app {App}: stopping pid {Pid} ({Reason}): SIGTERM to process group {Pgid}, SIGKILL in {Grace:0.###} s",
            instance.App.Name, instance.Pid, reason, instance.ProcessGroup, grace.TotalSeconds);
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGTERM);
        instance.EscalationTimer = _timers.After(grace, new SupervisorEvent.EscalationDue(instance));
    }

    private void OnEscalationDue(Instance instance)
    {
        if (instance.State != InstanceState.Stopping)
        {
            return;
        }

        _log.LogWarning("app {App}: pid {Pid} did not exit within its grace period after SIGTERM: SIGKILL to process group {Pgid}",
            instance.App.Name, instance.Pid, instance.ProcessGroup);
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGKILL);
    }

    /// <summary>
    /// The leader exited but its group may not be empty (php-cgi children, an app's helpers). They would keep the
    /// app's socket and serve as orphans, so they get SIGTERM now and SIGKILL after the grace period.
    /// </summary>
    private void TerminateGroupLeftovers(Instance instance)
    {
        var pgid = instance.ProcessGroup;
        if (!ChildProcess.GroupExists(pgid))
        {
            return;
        }

        var owner = $"{instance.App.Name} (pid {instance.Pid})";
        if (_shutdown is not null && _deadlinePassed)
        {
            ChildProcess.SignalGroup(pgid, Signals.SIGKILL);
            _orphanGroups[pgid] = owner;
            return;
        }

        var grace = _config.ShutdownTimeout;
        _log.LogWarning("app {App}: process group {Pgid} still has processes after pid {Pid} exited: SIGTERM to the group, SIGKILL in {Grace:0.###} s",
            instance.App.Name, pgid, instance.Pid, grace.TotalSeconds);
        ChildProcess.SignalGroup(pgid, Signals.SIGTERM);
        _orphanGroups[pgid] = owner;
        _timers.After(grace, new SupervisorEvent.OrphanGroupCheck(pgid, owner, Killed: false));
    }

    private void OnOrphanGroupCheck(SupervisorEvent.OrphanGroupCheck check)
    {
        ReapOrphans();
        if (!ChildProcess.GroupExists(check.ProcessGroup))
        {
            _orphanGroups.Remove(check.ProcessGroup);
            return;
        }

        if (!check.Killed)
        {
            _log.LogWarning("process group {Pgid} left by {Owner} ignored SIGTERM: SIGKILL", check.ProcessGroup, check.Owner);
        }

        ChildProcess.SignalGroup(check.ProcessGroup, Signals.SIGKILL);
        _timers.After(SweepInterval, check with { Killed = true });
    }

    /// <summary>Reaps children that are not instances: descendants re-parented to the PM after their parent died.</summary>
    private void ReapOrphans()
    {
        foreach (var pid in Subreaper.Children())
        {
            if (_byPid.ContainsKey(pid))
            {
                continue;
            }

            try
            {
                if (ChildProcess.WaitPidExitedNoHang(pid) is { } status)
                {
                    _log.LogDebug("reaped orphaned descendant pid {Pid}: {How}", pid, status);
                }
            }
            catch (PosixException)
            {
                // Not ours to reap (already reaped, or a runtime-tracked child).
            }
        }
    }

    private void OnShutdownRequested(TaskCompletionSource done)
    {
        if (_shutdown is not null)
        {
            _shutdown.Task.ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
            return;
        }

        _shutdown = done;
        var grace = _config.ShutdownTimeout;
        _shutdownDeadline = _time.GetUtcNow() + grace;
        _log.LogInformation("shutting down: SIGTERM to every app's process group, SIGKILL to what remains after {Grace:0.###} s", grace.TotalSeconds);
        foreach (var app in _apps)
        {
            foreach (var slot in app.Slots)
            {
                slot.CancelStart();
            }
        }

        foreach (var instance in _byPid.Values.ToList())
        {
            StopInstance(instance, grace, "PM shutting down");
        }

        _timers.After(grace, new SupervisorEvent.ShutdownDeadline());
        CheckShutdownComplete();
    }

    private void OnShutdownDeadline()
    {
        _deadlinePassed = true;
        foreach (var pgid in _orphanGroups.Keys.ToList())
        {
            if (ChildProcess.GroupExists(pgid))
            {
                _log.LogWarning("process group {Pgid} left by {Owner} is still there at the end of the grace period: SIGKILL", pgid, _orphanGroups[pgid]);
                ChildProcess.SignalGroup(pgid, Signals.SIGKILL);
            }
        }

        foreach (var pid in Subreaper.Children())
        {
            if (!_byPid.ContainsKey(pid))
            {
                _log.LogWarning("descendant pid {Pid} outside every app's process group is still running: SIGKILL", pid);
                ChildProcess.SignalProcess(pid, Signals.SIGKILL);
            }
        }

        // Instances still alive get their SIGKILL from their own escalation timers, due now too.
        Post(new SupervisorEvent.ShutdownSweep());
    }

    private void CheckShutdownComplete()
    {
        if (_shutdown is null || _shutdown.Task.IsCompleted)
        {
            return;
        }

        foreach (var pgid in _orphanGroups.Keys.ToList())
        {
            if (!ChildProcess.GroupExists(pgid))
            {
                _orphanGroups.Remove(pgid);
            }
        }

        var children = Subreaper.Children();
        var done = _byPid.Count == 0 && _orphanGroups.Count == 0 && children.Count == 0;
        var now = _time.GetUtcNow();
        if (!done && now < _shutdownDeadline + ShutdownSweepLimit)
        {
            if (_deadlinePassed || _byPid.Count == 0)
            {
                // Only leftovers re-parented to us or dying groups remain: look again shortly.
                _timers.After(SweepInterval, new SupervisorEvent.ShutdownSweep());
            }

            return;
        }

        if (!done)
        {
            _log.LogError("shutdown: {Instances} instances, {Groups} process groups and {Children} children remain after SIGKILL; giving up waiting",
                _byPid.Count, _orphanGroups.Count, children.Count);
        }

        foreach (var app in _apps)
        {
            app.Socket.Dispose();
        }

        _timers.Dispose();
        _log.LogInformation("shutdown complete: every instance stopped and reaped, sockets removed");
        _events.Writer.TryComplete();
        _shutdown.TrySetResult();
    }

    private StatusReport BuildStatus()
    {
        var now = _time.GetUtcNow();
        var apps = new List<AppStatus>();
        foreach (var app in _apps)
        {
            var next = app.Slots.Where(s => s.StartAt is not null).Select(s => s.StartAt).Min();
            apps.Add(new AppStatus(app.Name, "static", app.Socket.Address.ToString(), app.Config.UrlPrefix, app.Config.Processes,
                app.Restarts, app.ConsecutiveFailures, next, app.LastDecision,
                app.LastExit is { } e ? new ExitStatusReport(e.Pid, e.At, e.How, e.Lifetime.TotalSeconds) : null,
                null,
                app.Instances.Select(i => new InstanceStatus(i.Id, i.Pid, i.State.ToString().ToLowerInvariant(), i.StartedAt, null, i.Slot)).ToList()));
        }

        foreach (var ext in _config.ExternalApps)
        {
            apps.Add(new AppStatus(ext.Path, "external", ext.Address.ToString(), ext.UrlPrefix, 0, 0, 0, null, null, null, null, []));
        }

        return new StatusReport(Identity.ProcessId, _startedAt, now, _config.IpcDir, _config.SourceFile, apps);
    }
}
