using Microsoft.Extensions.Logging;
using Pm.Posix;
using Pm.Spawning;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// Starting and stopping instances, for every kind of app. Runs on the supervisor loop only (asserted: see
/// <see cref="LoopGuard"/>).
/// <para>
/// Every stop goes through <see cref="Stop"/>: optionally drain (wait, bounded, until the instance holds no
/// request), then SIGTERM to its process group, then SIGKILL to the group at the deadline. After a leader exits,
/// whatever remains in its group is terminated the same way, so no orphan keeps serving from the app's socket.
/// Descendants re-parented to the PM (a subreaper) are reaped here too.
/// </para>
/// <para>
/// A kill for a limit (spawn, request, stuck) is diagnosed first: the <see cref="IInstanceDiagnoser"/> runs off the
/// loop, bounded (<see cref="DiagnosisBound"/>), its block goes to the log and its summary to the app's last kill,
/// and only then the SIGTERM. The slow log takes the same diagnosis and kills nothing.
/// </para>
/// </summary>
public sealed class InstanceLifecycle : IInstanceStarter, IInstanceStopper
{
    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The most a diagnosis may hold back a kill: the diagnoser's own 5 s bound on backtraces, the -diagnose-signal wait, and slack.</summary>
    public static readonly TimeSpan DiagnosisBound = TimeSpan.FromSeconds(7);

    private readonly ISpawner _spawner;
    private readonly ChildWatcher _watcher;
    private readonly EventTimers _timers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ILogger _appLog;
    private readonly Action<SupervisorEvent> _post;
    private readonly Func<Instance, bool> _holdsRequest;
    private readonly LoopGuard _loop;
    private readonly IInstanceDiagnoser _diagnoser;
    private readonly IInstanceRegistry? _registry;
    private readonly Dictionary<int, Instance> _byPid = [];
    private readonly Dictionary<int, string> _orphanGroups = [];
    private long _nextInstanceId;

    public InstanceLifecycle(ISpawner spawner, ChildWatcher watcher, EventTimers timers, TimeProvider time,
        ILogger log, ILogger appLog, Action<SupervisorEvent> post, TimeSpan groupGrace, Func<Instance, bool> holdsRequest,
        LoopGuard loop, IInstanceDiagnoser diagnoser, IInstanceRegistry? registry = null)
    {
        _registry = registry;
        _diagnoser = diagnoser;
        _spawner = spawner;
        _watcher = watcher;
        _timers = timers;
        _time = time;
        _log = log;
        _appLog = appLog;
        _post = post;
        _holdsRequest = holdsRequest;
        _loop = loop;
        GroupGrace = groupGrace;
    }

    /// <summary>Where each instance's -max-requests jitter comes from.</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>How long a retiring instance is frozen for at most while the PM waits for it to stop (SIGSTOP reaching every process).</summary>
    private static readonly TimeSpan FreezeWait = TimeSpan.FromMilliseconds(50);

    /// <summary>How long leftovers of an exited leader's group get between SIGTERM and SIGKILL.</summary>
    public TimeSpan GroupGrace { get; }

    public IReadOnlyCollection<Instance> Live
    {
        get
        {
            _loop.AssertOnLoop();
            return _byPid.Values;
        }
    }

    public int LiveCount
    {
        get
        {
            _loop.AssertOnLoop();
            return _byPid.Count;
        }
    }

    /// <summary>Whether the PM waits on process groups that outlived their leader.</summary>
    public bool HasOrphanGroups
    {
        get
        {
            _loop.AssertOnLoop();
            foreach (var pgid in _orphanGroups.Keys.ToList())
            {
                if (!ChildProcess.GroupExists(pgid))
                {
                    _orphanGroups.Remove(pgid);
                }
            }

            return _orphanGroups.Count > 0;
        }
    }

    /// <summary>Spawns an instance of the app and logs it; null (with the error logged) if the executable could not be started.</summary>
    public Instance? Start(SupervisedApp app, int slot, string reason, string kind, out string? error)
    {
        var instance = StartQuietly(app, slot, out error);
        if (instance is not null)
        {
            LogStarted(instance, reason, kind);
        }

        return instance;
    }

    /// <summary>
    /// Spawns without logging the start, for the restart path: log lines wake the logger's thread, which would
    /// compete for a core with the child being exec'd; the caller logs once the child runs (<see cref="LogStarted"/>).
    /// A failure to start is logged at once.
    /// </summary>
    public Instance? StartQuietly(SupervisedApp app, int slot, out string? error)
    {
        _loop.AssertOnLoop();
        var now = _time.GetUtcNow();
        SpawnedProcess spawned;
        try
        {
            spawned = _spawner.Spawn(app.Spec, app.Limits.Recycling.RequestLimitFor(Random));
        }
        catch (PosixException ex)
        {
            error = ex.Message;
            _log.LogError("app {App}: cannot start: {Error}", app.Name, ex.Message);
            return null;
        }

        error = null;
        var instance = new Instance(++_nextInstanceId, app, slot, spawned.Pid, now)
        {
            StateSince = now,
            Page = spawned.Page,
            RequestLimit = spawned.Page?.Limit ?? 0,
        };
        app.Instances.Add(instance);
        _byPid[instance.Pid] = instance;
        instance.SpawnTimer = _timers.After(app.Limits.SpawnTimeout, new SupervisorEvent.SpawnTimeoutDue(instance));
        _watcher.Watch(spawned.Pid, spawned.PidFd, spawned.OutputFd,
            line => _appLog.LogInformation("{App}[{Pid}]: {Line}", app.Name, instance.Pid, line),
            notice => _post(new SupervisorEvent.ChildExited(instance, notice)));
        _registry?.Spawned(instance.Pid);
        return instance;
    }

    /// <summary>Logs a start, counts it by why, and puts it in the app's history (the restart path spawns first and calls this once the child runs).</summary>
    public void LogStarted(Instance instance, string reason, string kind)
    {
        SupervisedApp.Count(instance.App.Spawns, kind);
        instance.App.History.Record(instance.StartedAt, HistoryEvent.Start, instance.Pid, reason);
        _log.LogInformation("app {App}: started pid {Pid}{Slot}: {Reason}", instance.App.Name, instance.Pid,
            instance.Slot >= 0 ? $" in slot {instance.Slot}" : "", reason);
    }

    /// <summary>
    /// Records the end of an instance the child watcher reaped (waitpid on that pid only, never -1, which would
    /// steal the statuses of children the .NET runtime tracks). Returns how it ended (null if someone else reaped it).
    /// </summary>
    public WaitStatus? Reap(Instance instance, ExitNotice notice)
    {
        _loop.AssertOnLoop();
        var status = notice.Status;
        if (notice.Error is not null)
        {
            _log.LogError("app {App}: pid {Pid} exited but its status could not be read ({Error}): is SIGCHLD ignored by the PM's parent?",
                instance.App.Name, instance.Pid, notice.Error);
        }

        var now = _time.GetUtcNow();
        instance.State = InstancePhase.Exited;
        instance.ExitStatus = status;
        instance.ExitedAt = now;
        instance.EscalationTimer?.Dispose();
        instance.HealthyTimer?.Dispose();
        instance.DrainTimer?.Dispose();
        instance.SpawnTimer?.Dispose();
        if (instance.Page is { } page)
        {
            instance.RequestsAtExit = page.ShimLoaded ? page.Accepted : null;
            instance.Page = null;
            page.Dispose();
        }

        _byPid.Remove(instance.Pid);
        _registry?.Reaped(instance.Pid);
        instance.App.Instances.Remove(instance);
        var how = status?.ToString() ?? "exit status unknown";
        instance.App.LastExit = new ExitRecord(instance.Pid, now, how, now - instance.StartedAt);
        if (instance.StopReason is null)
        {
            instance.App.History.Record(now, HistoryEvent.Exit, instance.Pid, how);
        }

        return status;
    }

    /// <summary>
    /// Logs how a reaped instance ended and terminates what is left of its process group. Separate from
    /// <see cref="Reap"/> so a replacement can be spawned first.
    /// </summary>
    public void ReportExit(Instance instance)
    {
        _loop.AssertOnLoop();
        var stopped = instance.StopReason is not null;
        var exit = instance.App.LastExit!;
        var level = stopped || instance.ExitStatus is { Clean: true } ? LogLevel.Information : LogLevel.Warning;
        _log.Log(level, "app {App}: pid {Pid} exited: {How} after {Lifetime:0.###} s{Requests}{Stopped}", instance.App.Name, instance.Pid, exit.How,
            exit.Lifetime.TotalSeconds, instance.RequestsAtExit is { } n ? $" and {n} requests" : "", stopped ? $" (stopped: {instance.StopReason})" : "");
        TerminateGroupLeftovers(instance, killAtOnce: false);
    }

    /// <summary>
    /// The one way an instance is stopped. With <paramref name="drainFor"/>, an instance holding a request is
    /// left to finish it (checked every 50 ms, at most that long) before the SIGTERM. With <paramref name="diagnose"/>
    /// (a kill for a limit), it is diagnosed first. Then SIGTERM to its process group, and SIGKILL to the group if it
    /// has not exited after <paramref name="grace"/>.
    /// </summary>
    public void Stop(Instance instance, TimeSpan grace, string reason, string kind, TimeSpan? drainFor = null, Diagnose? diagnose = null)
    {
        _loop.AssertOnLoop();
        if (instance.State != InstancePhase.Running)
        {
            return;
        }

        instance.State = InstancePhase.Stopping;
        instance.StopReason = reason;
        instance.StopGrace = grace;
        SupervisedApp.Count(instance.App.Kills, kind);
        instance.App.History.Record(_time.GetUtcNow(), diagnose is null ? HistoryEvent.Stop : HistoryEvent.Kill, instance.Pid, reason);
        if (drainFor is { } drain && _holdsRequest(instance))
        {
            instance.DrainUntil = _time.GetUtcNow() + drain;
            _log.LogInformation("app {App}: retiring pid {Pid} ({Reason}): it holds a request; draining for up to {Drain:0.###} s before SIGTERM",
                instance.App.Name, instance.Pid, reason, drain.TotalSeconds);
            instance.DrainTimer = _timers.After(DrainPoll, new SupervisorEvent.DrainCheck(instance));
            return;
        }

        if (diagnose is { } d)
        {
            BeginDiagnosis(instance, reason, d.HeldFor, kill: true);
            return;
        }

        Terminate(instance, grace);
    }

    /// <summary>
    /// Retires an instance without losing a request (a recycling, a rolling restart): it is told to take no new
    /// connection (the shim's stop word), left to finish what it holds (checked every 50 ms, at most
    /// <paramref name="drainFor"/>), and once it holds nothing its group is frozen with SIGSTOP and looked at once
    /// more: a connection it took in the meantime thaws it to finish that one too. Only a frozen instance that holds
    /// nothing gets its SIGTERM (then SIGCONT, then SIGKILL after <paramref name="grace"/>), so no accepted connection
    /// dies with it. Without a view of its connections (a TCP app) it is drained as <see cref="Stop"/> drains.
    /// </summary>
    public void Retire(Instance instance, TimeSpan grace, string reason, string kind, TimeSpan drainFor)
    {
        _loop.AssertOnLoop();
        if (instance.State != InstancePhase.Running)
        {
            return;
        }

        if (instance.Page is { } page)
        {
            page.StopAccepting = true;
        }

        instance.State = InstancePhase.Stopping;
        instance.StopReason = reason;
        instance.StopGrace = grace;
        SupervisedApp.Count(instance.App.Kills, kind);
        instance.App.History.Record(_time.GetUtcNow(), HistoryEvent.Stop, instance.Pid, reason);
        instance.DrainUntil = _time.GetUtcNow() + drainFor;
        instance.FreezeBeforeStop = ConnectionProbe.CanSeeRequests(instance.App);
        _log.LogInformation("app {App}: retiring pid {Pid} ({Reason}): it takes no new request and stops once it holds none (at most {Drain:0.###} s)",
            instance.App.Name, instance.Pid, reason, drainFor.TotalSeconds);
        OnDrainCheck(instance);
    }

    /// <summary>What a kill for a limit diagnoses: how long the instance has held the request it is killed for, if any.</summary>
    public sealed record Diagnose(TimeSpan? HeldFor);

    /// <summary>The slow log: a diagnosis of a running instance into the log; nothing is killed. Skipped while one is under way.</summary>
    public void DiagnoseOnly(Instance instance, string reason, TimeSpan? heldFor)
    {
        _loop.AssertOnLoop();
        if (instance.State == InstancePhase.Running && !instance.Diagnosing)
        {
            BeginDiagnosis(instance, reason, heldFor, kill: false);
        }
    }

    private void BeginDiagnosis(Instance instance, string reason, TimeSpan? heldFor, bool kill)
    {
        var limits = instance.App.Limits;
        var input = new DiagnosisInput(instance.App.Name, instance.Pid, instance.ProcessGroup, reason, heldFor,
            instance.CpuWhenIdle, instance.CpuWhenIdleAt, limits.DiagnoseSignal);
        instance.Diagnosing = true;
        if (kill)
        {
            _log.LogWarning("app {App}: killing pid {Pid} ({Reason}): diagnosing its process group {Pgid} first",
                instance.App.Name, instance.Pid, reason, instance.ProcessGroup);
        }

        var cancel = new CancellationTokenSource(DiagnosisBound);
        instance.DiagnosisTimer = _timers.After(DiagnosisBound, new SupervisorEvent.DiagnosisDone(instance, reason, kill, null, "it took longer than " + DiagnosisBound.TotalSeconds + " s"));
        _ = Task.Run(async () =>
        {
            try
            {
                var outcome = await _diagnoser.DiagnoseAsync(input, cancel.Token).ConfigureAwait(false);
                _post(new SupervisorEvent.DiagnosisDone(instance, reason, kill, outcome, null));
            }
            catch (Exception ex)
            {
                _post(new SupervisorEvent.DiagnosisDone(instance, reason, kill, null, ex.Message));
            }
            finally
            {
                cancel.Dispose();
            }
        });
    }

    /// <summary>A diagnosis ended (or ran out of time): log it, note the kill, and go on with the SIGTERM.</summary>
    public void OnDiagnosisDone(SupervisorEvent.DiagnosisDone done)
    {
        _loop.AssertOnLoop();
        var instance = done.Instance;
        if (!instance.Diagnosing)
        {
            return; // The bound already went on without it.
        }

        instance.Diagnosing = false;
        instance.DiagnosisTimer?.Dispose();
        if (done.Outcome is { } outcome)
        {
            _log.LogWarning("app {App}: {Diagnosis}", instance.App.Name, outcome.Block);
        }
        else
        {
            _log.LogWarning("app {App}: pid {Pid}: no diagnosis ({Problem})", instance.App.Name, instance.Pid, done.Problem);
        }

        if (!done.Kill)
        {
            return;
        }

        instance.App.LastKill = new KillRecord(instance.Pid, _time.GetUtcNow(), done.Reason,
            done.Outcome?.Summary ?? $"no diagnosis ({done.Problem})");
        if (instance.State == InstancePhase.Stopping && instance.KillAt is null)
        {
            Terminate(instance, instance.StopGrace);
        }
    }

    public void OnDrainCheck(Instance instance)
    {
        _loop.AssertOnLoop();
        if (instance.State != InstancePhase.Stopping || instance.DrainUntil is not { } until)
        {
            return;
        }

        var still = _holdsRequest(instance);
        if (!still && instance.FreezeBeforeStop)
        {
            // The last look, with the group frozen: nothing it holds now can be taken from the queue behind our back.
            Freeze(instance);
            still = _holdsRequest(instance);
            if (still)
            {
                Thaw(instance);
            }
        }

        if (still && _time.GetUtcNow() < until)
        {
            instance.DrainTimer = _timers.After(DrainPoll, new SupervisorEvent.DrainCheck(instance));
            return;
        }

        if (still)
        {
            _log.LogWarning("app {App}: pid {Pid} still holds a request after draining; stopping it anyway", instance.App.Name, instance.Pid);
        }

        instance.DrainUntil = null;
        Terminate(instance, instance.StopGrace);
    }

    private void Terminate(Instance instance, TimeSpan grace)
    {
        instance.KillAt = _time.GetUtcNow() + grace;
        _log.LogInformation("app {App}: stopping pid {Pid} ({Reason}): SIGTERM to process group {Pgid}, SIGKILL in {Grace:0.###} s",
            instance.App.Name, instance.Pid, instance.StopReason, instance.ProcessGroup, grace.TotalSeconds);
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGTERM);
        if (instance.Frozen)
        {
            Thaw(instance); // the SIGTERM is pending and is taken before any of its code runs again
        }

        instance.EscalationTimer = _timers.After(grace, new SupervisorEvent.EscalationDue(instance));
    }

    private static void Freeze(Instance instance)
    {
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGSTOP);
        instance.Frozen = true;
        var until = Environment.TickCount64 + (long)FreezeWait.TotalMilliseconds;
        while (!ConnectionProbe.IsStopped(instance.Pid) && Environment.TickCount64 < until)
        {
            Thread.Sleep(1);
        }
    }

    private static void Thaw(Instance instance)
    {
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGCONT);
        instance.Frozen = false;
    }

    /// <summary>Memory of each of the given groups (for the memory rounds); called off the loop.</summary>
    public IReadOnlyDictionary<int, Diagnosis.GroupUsage> UsageOfGroups(IReadOnlySet<int> groups) => _diagnoser.UsageOfGroups(groups);

    /// <summary>Posts an event to the supervisor loop (from any thread).</summary>
    public Action<SupervisorEvent> Post => _post;

    /// <summary>CPU time of each process of the given groups now (for the baselines the health round keeps).</summary>
    public IReadOnlyDictionary<int, IReadOnlyDictionary<int, TimeSpan>> CpuOfGroups(IReadOnlySet<int> groups) => _diagnoser.CpuOfGroups(groups);

    public void OnEscalationDue(Instance instance)
    {
        _loop.AssertOnLoop();
        if (instance.State != InstancePhase.Stopping)
        {
            return;
        }

        _log.LogWarning("app {App}: pid {Pid} did not exit within its grace period after SIGTERM: SIGKILL to process group {Pgid}",
            instance.App.Name, instance.Pid, instance.ProcessGroup);
        ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGKILL);
    }

    /// <summary>SIGKILL to every live instance's group now (the end of the shutdown grace period).</summary>
    public void KillAll()
    {
        _loop.AssertOnLoop();
        foreach (var instance in _byPid.Values)
        {
            if (instance.State == InstancePhase.Stopping)
            {
                OnEscalationDue(instance);
            }
            else
            {
                ChildProcess.SignalGroup(instance.ProcessGroup, Signals.SIGKILL);
            }
        }

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

        KillLeftoversAtOnce = true;
    }

    /// <summary>Once set (shutdown past its deadline), leftovers of exiting leaders get SIGKILL without a grace period.</summary>
    public bool KillLeftoversAtOnce { get; private set; }

    private void TerminateGroupLeftovers(Instance instance, bool killAtOnce)
    {
        var pgid = instance.ProcessGroup;
        if (!ChildProcess.GroupExists(pgid))
        {
            return;
        }

        var owner = $"{instance.App.Name} (pid {instance.Pid})";
        _orphanGroups[pgid] = owner;
        if (killAtOnce || KillLeftoversAtOnce)
        {
            ChildProcess.SignalGroup(pgid, Signals.SIGKILL);
            _timers.After(SweepInterval, new SupervisorEvent.OrphanGroupCheck(pgid, owner, Killed: true));
            return;
        }

        _log.LogWarning("app {App}: process group {Pgid} still has processes after pid {Pid} exited: SIGTERM to the group, SIGKILL in {Grace:0.###} s",
            instance.App.Name, pgid, instance.Pid, GroupGrace.TotalSeconds);
        ChildProcess.SignalGroup(pgid, Signals.SIGTERM);
        _timers.After(GroupGrace, new SupervisorEvent.OrphanGroupCheck(pgid, owner, Killed: false));
    }

    public void OnOrphanGroupCheck(SupervisorEvent.OrphanGroupCheck check)
    {
        _loop.AssertOnLoop();
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
    public int ReapOrphans()
    {
        _loop.AssertOnLoop();
        var remaining = 0;
        var waitForRuntime = RuntimeChildren.Any;
        foreach (var pid in Subreaper.Children())
        {
            if (_byPid.ContainsKey(pid))
            {
                continue;
            }

            if (waitForRuntime)
            {
                remaining++; // maybe the runtime's own child (a debugger): reaped on a later pass
                continue;
            }

            try
            {
                if (ChildProcess.WaitPidExitedNoHang(pid) is { } status)
                {
                    _log.LogDebug("reaped orphaned descendant pid {Pid}: {How}", pid, status);
                }
                else
                {
                    remaining++;
                }
            }
            catch (PosixException)
            {
                // Not ours to reap (already reaped, or a runtime-tracked child).
            }
        }

        return remaining;
    }
}
