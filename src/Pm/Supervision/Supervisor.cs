using Pm.Posix;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Spawning;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// The heart of the PM: one loop that owns all state and reacts to events. Producers (the child watcher's
/// thread, timers, signal handlers, the control socket, the queue) only post events; the loop alone spawns,
/// reaps, signals and schedules, so no state is shared between threads and no lock is needed. The
/// <see cref="LoopGuard"/> marks each event's handling, and the units below assert that they run inside it.
/// <para>
/// The loop dispatches each event to the unit that owns its concept: <see cref="StaticAppSupervision"/> keeps the
/// static apps' and web processes' slots running (restart timing from the pure RestartBackoff),
/// <see cref="ShutdownSequence"/> takes the PM down phase by phase, <see cref="StatusBuilder"/> answers status
/// queries, and the dynamic apps are the DynamicAppManager's. Starting, stopping and reaping are
/// <see cref="InstanceLifecycle"/>'s.
/// </para>
/// </summary>
public sealed class Supervisor
{
    /// <summary>
    /// SIGCHLD arrives for every instance exit too, and those are handled through pidfds at once. The scan for
    /// orphans (a /proc read per PM thread) is therefore deferred and coalesced, to stay off the restart path;
    /// orphans are still reaped well within 50 ms.
    /// </summary>
    private static readonly TimeSpan OrphanScanDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>How often orphans are looked for again while a diagnosis's debugger runs (reaping waits for the runtime to reap it).</summary>
    private static readonly TimeSpan RuntimeChildRetry = TimeSpan.FromMilliseconds(100);

    private readonly List<StaticApp> _apps;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<SupervisorEvent> _events = Channel.CreateUnbounded<SupervisorEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LoopGuard _guard = new();
    private readonly EventTimers _timers;
    private readonly InstanceLifecycle _lifecycle;
    private readonly IDynamicApps _dynamic;
    private readonly StaticAppSupervision _static;
    private readonly ShutdownSequence _shutdown;
    private readonly StatusBuilder _status;
    private readonly InstanceHealth _health;
    private readonly InstanceRecycling _recycling;
    private readonly Queue<SupervisorEvent.ReloadRequested> _reloadsWaiting = new();
    private ReloadRollout? _rollout;
    private int _orphanScanPending;
    private Task? _loop;

    /// <summary>
    /// Called on the loop once the shutdown has begun (nothing is started or restarted any more), before any instance
    /// is stopped: the PM lets go of the front end's listening sockets there.
    /// </summary>
    public Action? ShutdownBegun { get; init; }

    /// <param name="dynamicApps">Makes the dynamic apps' part, given the lifecycle, the loop's clock (timers that call back on the loop) and the log.</param>
    public Supervisor(PmConfig config, IReadOnlyList<StaticApp> apps, ISpawner spawner, ChildWatcher watcher,
        TimeProvider time, Random random, ILoggerFactory loggers, Func<InstanceLifecycle, TimeProvider, ILogger, IDynamicApps> dynamicApps,
        IInstanceDiagnoser diagnoser, IInstanceRegistry? registry = null)
    {
        _apps = [.. apps];
        apps = _apps;
        _time = time;
        _log = loggers.CreateLogger("pm");
        _timers = new EventTimers(time, Post);
        _lifecycle = new InstanceLifecycle(spawner, watcher, _timers, time, _log, loggers.CreateLogger("app"), Post,
            config.ShutdownTimeout, HoldsRequest, _guard, diagnoser, registry) { Random = random };
        _dynamic = dynamicApps(_lifecycle, new LoopTimeProvider(time, _timers), _log);
        _static = new StaticAppSupervision(apps, _lifecycle, _timers, time, random, _log, _guard);
        _shutdown = new ShutdownSequence(_lifecycle, _timers, Post, time, config.ShutdownTimeout, _log, _guard, OnShutdownComplete);
        _status = new StatusBuilder(config, apps, time.GetUtcNow(), _guard);
        _health = new InstanceHealth(apps, _dynamic, _lifecycle, _static, _timers, time, _log, _guard);
        _recycling = new InstanceRecycling(apps, _dynamic, _lifecycle, _static, RecycleLimitsOf(config, apps), _timers, time, _log, _guard);
    }

    private static IEnumerable<Config.RecycleLimits> RecycleLimitsOf(Config.PmConfig config, IReadOnlyList<StaticApp> apps)
    {
        foreach (var app in apps)
        {
            yield return app.Limits.Recycling;
        }

        yield return config.Dynamic.Limits.Recycling;
        foreach (var root in config.DynamicRoots)
        {
            if (root.Recycle is { } limits)
            {
                yield return limits;
            }
        }
    }

    /// <summary>Asks the kernel whether the instance holds an accepted connection now (for draining).</summary>
    private bool HoldsRequest(Instance instance)
    {
        ConnectionProbe.Refresh([instance.App], _time.GetUtcNow());
        return instance.HoldsRequest;
    }

    /// <summary>Queue records turned into policy events, in the order the web processes wrote them.</summary>
    public void PostDemand(IReadOnlyList<(string Path, Pm.Policy.PolicyEvent Event)> batch) => Post(new SupervisorEvent.DemandBatch(batch));

    /// <summary>A web process's 'L' or 'X' record: a request past -slow-log or -request-timeout.</summary>
    public void PostOverdue(Pm.Protocol.Queue.QueueRecord record) => Post(new SupervisorEvent.OverdueRequest(record));

    public IReadOnlyList<StaticApp> Apps => _apps;

    /// <summary>Carries out a validated reload; completes when every part of it has happened (or a shutdown ended it).</summary>
    public Task ReloadAsync(ReloadPlan plan)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SupervisorEvent.ReloadRequested(plan, done));
        return done.Task;
    }

    /// <summary>Completes once the loop has handled it: the loop is alive and not stuck behind an event.</summary>
    public Task PingAsync()
    {
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SupervisorEvent.Ping(reply));
        return reply.Task;
    }

    /// <summary>`pm restart APP`: rolls the static app's instances over, new one first; the reply says what happens.</summary>
    public Task<string> RestartAppAsync(string app)
    {
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SupervisorEvent.RestartRequested(app, reply));
        return reply.Task;
    }

    /// <summary>Starts every static app's instances, then runs the loop until shutdown completes.</summary>
    public void Start()
    {
        // The loop does not run yet: this thread owns the state until it does.
        using (_guard.Enter())
        {
            _static.StartAll();
            _health.Start();
            _recycling.Start();
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

    /// <summary>starting, idle, busy (holds a request) or stopping, as status shows an instance.</summary>
    internal static string StateName(Instance i) => StatusBuilder.StateName(i);

    private void Post(SupervisorEvent e) => _events.Writer.TryWrite(e);

    private async Task RunLoopAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            // Each event is handled synchronously on the thread the channel resumed on: that thread is the loop's
            // until Handle returns (the next event may run on another).
            using (_guard.Enter())
            {
                try
                {
                    Handle(e);
                }
                catch (Exception ex)
                {
                    _log.LogError(ex, "supervisor: unexpected error handling {Event}", e.GetType().Name);
                }
            }

            if (_shutdown.Phase == ShutdownPhase.Done)
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
                _static.OnSlotStartDue(x.App, x.Slot);
                break;
            case SupervisorEvent.EscalationDue x:
                _lifecycle.OnEscalationDue(x.Instance);
                break;
            case SupervisorEvent.DrainCheck x:
                _lifecycle.OnDrainCheck(x.Instance);
                break;
            case SupervisorEvent.InstanceHealthy x:
                _static.OnInstanceHealthy(x.Instance);
                break;
            case SupervisorEvent.SpawnTimeoutDue x:
                _health.OnSpawnTimeoutDue(x.Instance);
                break;
            case SupervisorEvent.HealthRoundDue:
                _health.OnRound();
                break;
            case SupervisorEvent.RecycleRoundDue:
                _recycling.OnCountRound();
                break;
            case SupervisorEvent.MemoryRoundDue:
                _recycling.OnMemoryRound();
                break;
            case SupervisorEvent.MemorySampled x:
                _recycling.OnMemorySampled(x);
                break;
            case SupervisorEvent.ReloadRequested x:
                OnReloadRequested(x);
                break;
            case SupervisorEvent.Ping x:
                x.Reply.TrySetResult();
                break;
            case SupervisorEvent.ReloadTick:
                OnReloadTick();
                break;
            case SupervisorEvent.RestartRequested x:
                x.Reply.TrySetResult(OnRestartRequested(x.App));
                break;
            case SupervisorEvent.DiagnosisDone x:
                _lifecycle.OnDiagnosisDone(x);
                break;
            case SupervisorEvent.OverdueRequest x:
                _health.OnOverdueRequest(x.Record);
                break;
            case SupervisorEvent.OrphansMayExist:
                Volatile.Write(ref _orphanScanPending, 0);
                if (_lifecycle.ReapOrphans() > 0 && RuntimeChildren.Any && Interlocked.Exchange(ref _orphanScanPending, 1) == 0)
                {
                    _timers.After(RuntimeChildRetry, new SupervisorEvent.OrphansMayExist()); // a debugger runs: look again once it is reaped
                }

                _shutdown.CheckComplete();
                break;
            case SupervisorEvent.OrphanGroupCheck x:
                _lifecycle.OnOrphanGroupCheck(x);
                break;
            case SupervisorEvent.DemandBatch x:
                OnDemand(x.Items);
                break;
            case SupervisorEvent.TimerDue x:
                x.Callback(x.State);
                break;
            case SupervisorEvent.StatusQuery x:
                x.Reply.TrySetResult(BuildStatus());
                break;
            case SupervisorEvent.ShutdownRequested x:
                OnShutdownRequested(x.Done);
                break;
            case SupervisorEvent.ShutdownAppsDue:
                _shutdown.OnWebGraceEnded();
                break;
            case SupervisorEvent.ShutdownDeadline:
                _shutdown.OnDeadline();
                break;
            case SupervisorEvent.ShutdownSweep:
                _shutdown.OnSweepDue();
                break;
        }
    }

    private void OnDemand(IReadOnlyList<(string Path, Pm.Policy.PolicyEvent Event)> items)
    {
        if (_shutdown.HasBegun)
        {
            return;
        }

        List<(string Path, Pm.Policy.PolicyEvent Event)>? dynamic = null;
        foreach (var item in items)
        {
            if (_apps.FirstOrDefault(a => a.Name == item.Path) is { } app)
            {
                // Static apps only count their completed requests; their instances are fixed.
                if (item.Event is Pm.Policy.RequestCompleted)
                {
                    app.RequestsCompleted = (app.RequestsCompleted ?? 0) + 1;
                }

                continue;
            }

            (dynamic ??= []).Add(item);
        }

        if (dynamic is not null)
        {
            _dynamic.OnDemand(dynamic);
        }
    }

    /// <summary>
    /// Reap first; then the shutdown, a static slot's restart, or the dynamic app's policy deals with the exit.
    /// On the restart path the replacement is spawned before the exit is reported.
    /// </summary>
    private void OnChildExited(Instance instance, ExitNotice notice)
    {
        var status = _lifecycle.Reap(instance, notice);
        if (_shutdown.HasBegun)
        {
            _lifecycle.ReportExit(instance);
            _shutdown.OnInstanceExited();
            return;
        }

        if (_static.OnInstanceExited(instance, status))
        {
            return;
        }

        _lifecycle.ReportExit(instance);
        _dynamic.OnInstanceExited(instance, status);
    }

    private void OnShutdownRequested(TaskCompletionSource done) =>
        _shutdown.Begin(done, stopStarting: () =>
        {
            _static.StopRestarting();
            _health.Stop();
            _recycling.Stop();
            _dynamic.Stop();
            _rollout?.Abandon();
            while (_reloadsWaiting.TryDequeue(out var waiting))
            {
                waiting.Done.TrySetResult();
            }

            ShutdownBegun?.Invoke();
        });

    private void OnReloadRequested(SupervisorEvent.ReloadRequested reload)
    {
        if (_shutdown.HasBegun)
        {
            reload.Done.TrySetResult();
            return;
        }

        if (_rollout is not null)
        {
            _reloadsWaiting.Enqueue(reload); // one at a time, in order
            return;
        }

        _status.Config = reload.Plan.Config;
        _rollout = new ReloadRollout(reload.Plan, _apps, _static, _recycling, _lifecycle, _log);
        var done = reload.Done;
        _ = _rollout.Done.ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
        _rollout.Begin();
        _timers.After(ReloadRollout.TickInterval, new SupervisorEvent.ReloadTick());
    }

    private void OnReloadTick()
    {
        if (_rollout is null)
        {
            return;
        }

        if (!_shutdown.HasBegun && _rollout.Tick())
        {
            _timers.After(ReloadRollout.TickInterval, new SupervisorEvent.ReloadTick());
            return;
        }

        _rollout.Abandon();
        _rollout = null;
        if (_reloadsWaiting.TryDequeue(out var next))
        {
            OnReloadRequested(next);
        }
    }

    private string OnRestartRequested(string name)
    {
        if (_shutdown.HasBegun)
        {
            return "error: the PM is stopping";
        }

        if (_apps.FirstOrDefault(a => a.Name == name && !a.Removed) is not { } app)
        {
            return $"error: no static app {name} (pm status lists them)";
        }

        _recycling.Roll(app, "pm restart", ReasonKind.PmRestart);
        return $"restarting {name}: {app.Instances.Count(i => i.State == InstancePhase.Running)} instance(s) rolled over one at a time, new one first";
    }

    /// <summary>The shutdown's last step, once every instance is reaped (or given up on).</summary>
    private void OnShutdownComplete()
    {
        foreach (var app in _apps)
        {
            app.Socket.Dispose();
        }

        _dynamic.ReleaseAll();
        _timers.Dispose();
        _log.LogInformation("shutdown complete: every instance stopped and reaped, sockets removed");
        _events.Writer.TryComplete();
    }

    private StatusReport BuildStatus()
    {
        var now = _time.GetUtcNow();
        ConnectionProbe.Refresh(_apps, now);
        return _status.Build(now, _dynamic.Status(now), _dynamic.Find);
    }
}
