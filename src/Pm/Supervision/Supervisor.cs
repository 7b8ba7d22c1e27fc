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
/// thread, timers, signal handlers, the control socket, the queue) only post events; the loop alone spawns,
/// reaps, signals and schedules, so no state is shared between threads and no lock is needed.
/// <para>
/// Static apps (and the web processes) keep their -processes instances running: an exit is noticed through the
/// instance's pidfd at once, and <see cref="RestartBackoff"/> (pure) says when its slot starts again, so a
/// crash-looping app delays only its own slots. Starting, stopping and reaping are <see cref="InstanceLifecycle"/>'s.
/// </para>
/// </summary>
public sealed class Supervisor
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ShutdownSweepLimit = TimeSpan.FromSeconds(3);

    /// <summary>
    /// SIGCHLD arrives for every instance exit too, and those are handled through pidfds at once. The scan for
    /// orphans (a /proc read per PM thread) is therefore deferred and coalesced, to stay off the restart path;
    /// orphans are still reaped well within 50 ms.
    /// </summary>
    private static readonly TimeSpan OrphanScanDelay = TimeSpan.FromMilliseconds(10);

    private readonly PmConfig _config;
    private readonly IReadOnlyList<StaticApp> _apps;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly Channel<SupervisorEvent> _events = Channel.CreateUnbounded<SupervisorEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DateTimeOffset _startedAt;
    private readonly EventTimers _timers;
    private readonly InstanceLifecycle _lifecycle;
    private readonly Dynamic.DynamicAppManager _dynamic;
    private int _orphanScanPending;
    private TaskCompletionSource? _shutdown;
    private DateTimeOffset _shutdownDeadline;
    private bool _deadlinePassed;
    private Task? _loop;

    public Supervisor(PmConfig config, IReadOnlyList<StaticApp> apps, ISpawner spawner, ChildWatcher watcher,
        TimeProvider time, Random random, ILoggerFactory loggers)
    {
        _config = config;
        _apps = apps;
        _time = time;
        _random = random;
        _log = loggers.CreateLogger("pm");
        _startedAt = time.GetUtcNow();
        _timers = new EventTimers(time, Post);
        _lifecycle = new InstanceLifecycle(spawner, watcher, _timers, time, _log, loggers.CreateLogger("app"), Post,
            config.ShutdownTimeout, HoldsRequest);
        _dynamic = new Dynamic.DynamicAppManager(config, _lifecycle, _timers, time, _log, Post);
    }

    /// <summary>Asks the kernel whether the instance holds an accepted connection now (for draining).</summary>
    private bool HoldsRequest(Instance instance)
    {
        ConnectionProbe.Refresh([instance.App], _time.GetUtcNow());
        return instance.HoldsRequest;
    }

    /// <summary>Queue records turned into policy events, in the order the web processes wrote them.</summary>
    public void PostDemand(IReadOnlyList<(string Path, Pm.Policy.PolicyEvent Event)> batch) => Post(new SupervisorEvent.DemandBatch(batch));

    public IReadOnlyList<StaticApp> Apps => _apps;

    /// <summary>Starts every static app's instances, then runs the loop until shutdown completes.</summary>
    public void Start()
    {
        foreach (var app in _apps)
        {
            foreach (var slot in app.Slots)
            {
                StartInSlot(app, slot, "the PM started");
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
                OnChildExited(x.Instance, x.Notice);
                break;
            case SupervisorEvent.SlotStartDue x:
                x.Slot.StartTimer = null;
                x.Slot.StartAt = null;
                if (_shutdown is null && x.Slot.Current is null)
                {
                    StartInSlot(x.App, x.Slot, "its scheduled restart is due");
                }

                break;
            case SupervisorEvent.EscalationDue x:
                _lifecycle.OnEscalationDue(x.Instance);
                break;
            case SupervisorEvent.DrainCheck x:
                _lifecycle.OnDrainCheck(x.Instance);
                break;
            case SupervisorEvent.InstanceHealthy x:
                OnInstanceHealthy(x.Instance);
                break;
            case SupervisorEvent.OrphansMayExist:
                Volatile.Write(ref _orphanScanPending, 0);
                _lifecycle.ReapOrphans();
                CheckShutdownComplete();
                break;
            case SupervisorEvent.OrphanGroupCheck x:
                _lifecycle.OnOrphanGroupCheck(x);
                break;
            case SupervisorEvent.DemandBatch x:
                OnDemand(x.Items);
                break;
            case SupervisorEvent.PolicyEvaluationDue x:
                _dynamic.OnEvaluationDue(x.Group);
                break;
            case SupervisorEvent.PendingStartDue x:
                _dynamic.OnPendingStartDue(x.App);
                break;
            case SupervisorEvent.DynamicProbeDue:
                _dynamic.OnProbeDue();
                break;
            case SupervisorEvent.StatusQuery x:
                x.Reply.TrySetResult(BuildStatus());
                break;
            case SupervisorEvent.ShutdownRequested x:
                OnShutdownRequested(x.Done);
                break;
            case SupervisorEvent.ShutdownAppsDue:
                if (_appsStopPending)
                {
                    StopApps();
                }

                break;
            case SupervisorEvent.ShutdownDeadline:
                _deadlinePassed = true;
                _lifecycle.KillAll();
                Post(new SupervisorEvent.ShutdownSweep());
                break;
            case SupervisorEvent.ShutdownSweep:
                _lifecycle.ReapOrphans();
                CheckShutdownComplete();
                break;
        }
    }

    private void OnDemand(IReadOnlyList<(string Path, Pm.Policy.PolicyEvent Event)> items)
    {
        if (_shutdown is not null)
        {
            return;
        }

        foreach (var (path, e) in items)
        {
            var app = _apps.FirstOrDefault(a => a.Name == path);
            if (app is not null)
            {
                // Static apps only count their completed requests; their instances are fixed.
                if (e is Pm.Policy.RequestCompleted)
                {
                    app.RequestsCompleted = (app.RequestsCompleted ?? 0) + 1;
                }

                continue;
            }

            _dynamic.OnDemand(path, e);
        }

        _dynamic.EvaluateUrgent();
    }

    private void StartInSlot(StaticApp app, AppSlot slot, string reason) => StartInSlot(app, slot, reason, beforeLogging: null);

    /// <summary>Starts an instance in the slot; <paramref name="beforeLogging"/> runs after the spawn, before its log line.</summary>
    private void StartInSlot(StaticApp app, AppSlot slot, string reason, Action? beforeLogging)
    {
        var now = _time.GetUtcNow();
        slot.LastStart = now;
        var instance = _lifecycle.StartQuietly(app, slot.Index, out var error);
        beforeLogging?.Invoke();
        if (instance is null)
        {
            ScheduleRestart(app, slot, new InstanceEnd(now, now, ExitedCleanly: false, $"start failed ({error})"), null);
            return;
        }

        _lifecycle.LogStarted(instance, reason);
        slot.Current = instance;
        if (app.ConsecutiveFailures > 0)
        {
            // Failures reset once an instance stays up for min-server-life.
            instance.HealthyTimer = _timers.After(app.Restart.MinServerLife, new SupervisorEvent.InstanceHealthy(instance));
        }
    }

    /// <summary>
    /// The restart path, kept short: reap, decide, spawn the replacement, and only then log what happened and
    /// deal with the old group's leftovers. A healthy app's replacement is accepting within a few milliseconds.
    /// </summary>
    private void OnChildExited(Instance instance, ExitNotice notice)
    {
        var status = _lifecycle.Reap(instance, notice);
        if (_shutdown is not null)
        {
            _lifecycle.ReportExit(instance);
            if (_appsStopPending && !_lifecycle.Live.Any(i => i.App.Kind == "web"))
            {
                StopApps();
            }

            CheckShutdownComplete();
            return;
        }

        if (instance.App is StaticApp app)
        {
            var slot = app.Slots[instance.Slot];
            if (ReferenceEquals(slot.Current, instance))
            {
                slot.Current = null;
            }

            if (instance.StopReason is null)
            {
                ScheduleRestart(app, slot, new InstanceEnd(instance.StartedAt, instance.ExitedAt!.Value, status is { Clean: true },
                    status?.ToString() ?? "exit status unknown"), () => _lifecycle.ReportExit(instance));
                return;
            }
        }

        _lifecycle.ReportExit(instance);
        _dynamic.OnInstanceExited(instance, status);
    }

    private void ScheduleRestart(StaticApp app, AppSlot slot, InstanceEnd end, Action? reportExit)
    {
        var decision = RestartBackoff.Decide(app.Restart, end, app.ConsecutiveFailures, _random);
        app.ConsecutiveFailures = decision.ConsecutiveFailures;
        app.Restarts++;
        app.LastDecision = $"slot {slot.Index}: {decision.Reason}";
        var now = _time.GetUtcNow();
        void Report()
        {
            reportExit?.Invoke();
            _log.Log(decision.BackingOff ? LogLevel.Warning : LogLevel.Information, "app {App}: slot {Slot}: {Reason}", app.Name, slot.Index, decision.Reason);
        }

        if (decision.StartAt <= now)
        {
            StartInSlot(app, slot, app.LastExit is { } last ? $"replacing pid {last.Pid}" : "restart", Report);
            return;
        }

        Report();
        slot.CancelStart();
        slot.StartAt = decision.StartAt;
        slot.StartTimer = _timers.After(decision.StartAt - now, new SupervisorEvent.SlotStartDue(app, slot));
    }

    private void OnInstanceHealthy(Instance instance)
    {
        if (instance.State != InstancePhase.Running || instance.App is not StaticApp { ConsecutiveFailures: > 0 } app)
        {
            return;
        }

        _log.LogInformation("app {App}: pid {Pid} has stayed up for min-server-life ({Life:0.###} s): recovered after {Failures} failures in a row",
            app.Name, instance.Pid, app.Restart.MinServerLife.TotalSeconds, app.ConsecutiveFailures);
        app.ConsecutiveFailures = 0;
        app.LastDecision = $"recovered: pid {instance.Pid} stayed up for min-server-life";
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

        _dynamic.Stop();
        var web = _lifecycle.Live.Where(i => i.App.Kind == "web").ToList();
        if (web.Count > 0)
        {
            // The web processes go first, finishing the requests they hold while the apps still run.
            _shutdownDeadline += grace;
            _appsStopPending = true;
            foreach (var instance in web)
            {
                _lifecycle.Stop(instance, grace, "PM shutting down (web processes first)");
            }

            _timers.After(grace, new SupervisorEvent.ShutdownAppsDue());
        }
        else
        {
            StopApps();
        }

        CheckShutdownComplete();
    }

    private bool _appsStopPending;

    /// <summary>The second phase of a shutdown: SIGTERM to every app's group, SIGKILL at the deadline.</summary>
    private void StopApps()
    {
        _appsStopPending = false;
        var grace = _config.ShutdownTimeout;
        foreach (var instance in _lifecycle.Live.ToList())
        {
            _lifecycle.Stop(instance, grace, "PM shutting down");
        }

        _shutdownDeadline = _time.GetUtcNow() + grace;
        _timers.After(grace, new SupervisorEvent.ShutdownDeadline());
    }

    private void CheckShutdownComplete()
    {
        if (_shutdown is null || _shutdown.Task.IsCompleted)
        {
            return;
        }

        var orphans = _lifecycle.ReapOrphans();
        var done = _lifecycle.LiveCount == 0 && !_lifecycle.HasOrphanGroups && orphans == 0;
        if (!done && _time.GetUtcNow() < _shutdownDeadline + ShutdownSweepLimit)
        {
            if (_deadlinePassed || _lifecycle.LiveCount == 0)
            {
                // Only leftovers re-parented to us or dying groups remain: look again shortly.
                _timers.After(SweepInterval, new SupervisorEvent.ShutdownSweep());
            }

            return;
        }

        if (!done)
        {
            _log.LogError("shutdown: {Instances} instances and {Orphans} other descendants remain after SIGKILL; giving up waiting",
                _lifecycle.LiveCount, orphans);
        }

        foreach (var app in _apps)
        {
            app.Socket.Dispose();
        }

        _dynamic.ReleaseAll();
        _timers.Dispose();
        _log.LogInformation("shutdown complete: every instance stopped and reaped, sockets removed");
        _events.Writer.TryComplete();
        _shutdown.TrySetResult();
    }

    private StatusReport BuildStatus()
    {
        var now = _time.GetUtcNow();
        ConnectionProbe.Refresh(_apps, now);
        var apps = new List<AppStatus>();
        foreach (var app in _apps)
        {
            var next = app.Slots.Where(s => s.StartAt is not null).Select(s => s.StartAt).Min();
            apps.Add(new AppStatus(app.Name, app.Kind, app.Socket.Address.ToString(), app.Url, app.Slots.Count,
                app.Restarts, app.ConsecutiveFailures, next, app.LastDecision, Report(app.LastExit), app.RequestsCompleted,
                Instances(app)));
        }

        apps.AddRange(_dynamic.Status());
        foreach (var ext in _config.ExternalApps)
        {
            apps.Add(new AppStatus(ext.Path, "external", ext.Address.ToString(), ext.UrlPrefix, 0, 0, 0, null, null, null, null, []));
        }

        return new StatusReport(Identity.ProcessId, _startedAt, now, _config.IpcDir, _config.SourceFile, apps);
    }

    private static ExitStatusReport? Report(ExitRecord? e) => e is null ? null : new ExitStatusReport(e.Pid, e.At, e.How, e.Lifetime.TotalSeconds);

    private static List<InstanceStatus> Instances(SupervisedApp app) =>
        app.Instances.Select(i => new InstanceStatus(i.Id, i.Pid, StateName(i), i.StartedAt, null, i.Slot)).ToList();

    /// <summary>starting, idle, busy (holds a request) or stopping; read from the kernel (socket table, /proc/PID/syscall).</summary>
    internal static string StateName(Instance i) =>
        i.State == InstancePhase.Stopping ? "stopping" : i.HoldsRequest ? "busy" : i.Ready ? "idle" : "starting";
}
