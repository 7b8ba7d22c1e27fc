using System.Globalization;
using Pm.Engine;
using Pm.Policy;
using Pm.Shared;

namespace Pm.Simulation;

/// <summary>
/// Replays a trace through one policy in virtual time: a discrete-event loop over a priority queue ordered by
/// (time, insertion order), so equal times keep a deterministic order. No threads, no clocks, no sleeps.
/// </summary>
/// <remarks>
/// The decisions are the PM's own: the run drives the same <see cref="ScalingEngine"/> the PM does (policy groups
/// per dynamic root, held starts, when to evaluate, the accept-queue probe, releasing an app scaled to zero), on a
/// <see cref="VirtualTime"/> clock, and is the engine's <see cref="IInstancePool"/>. What it models itself:
///  - front end: a request goes to the app's longest-idle instance, else waits in a FIFO queue (the accept queue
///    of the app's socket). A request that finds no socket sends S (the socket the PM makes at this instant is seen
///    from the next one on). Every startDelay (the policy's) a waiting request sends T. After appConnTimeout it is
///    rejected. C records carry queue time (arrival to start of service) and service time.
///  - instances: a spawned instance is Starting for a spawn latency drawn from the model, then Idle. A retired
///    instance takes no new request; idle, it exits after the stop latency, busy, after its request.
///  - observation: the run tells the engine of every instance change (ready, busy, idle, exited) the moment it
///    happens, as the PM's kernel probe would if it were instant; all changes of one instant make one evaluation
///    per group. A request that only joins the queue is no change: as in the PM, the policy hears of it through
///    its S and T records and the 20 ms accept-queue probe.
/// </remarks>
internal sealed class SimulationRun : IInstancePool
{
    private readonly SimulationSpec _spec;
    private readonly PolicyRunSpec _run;
    private readonly PriorityQueue<SimEvent, (long Ticks, long Sequence)> _queue = new();
    private readonly Dictionary<string, SimApp> _apps = new(StringComparer.Ordinal);
    private readonly Random _latencyRandom;
    private readonly List<double> _waits = [];
    private readonly List<string> _log = [];
    private readonly Timeline _timeline;
    private readonly TimeSpan _end;
    private readonly ScalingEngine _engine;
    private readonly List<PolicyGroup> _groups = [];
    private long _sequence;
    private long _nextInstanceId = 1;
    private TimeSpan _now;
    private int _live;
    private int _queued;
    private double _instanceSeconds;
    private int _rejected;
    private int _spawns;
    private int _kills;
    private int _cancelled;
    private int _maxInstances;

    public SimulationRun(SimulationSpec spec, PolicyRunSpec run)
    {
        _spec = spec;
        _run = run;
        _latencyRandom = new Random(spec.Seed);
        _end = spec.Trace.Duration + spec.CoolDown;
        _timeline = new Timeline(_end, spec.ChartBuckets);
        foreach (var request in spec.Trace.Requests)
        {
            if (!_apps.ContainsKey(request.App))
            {
                var group = run.GroupOf(request.App);
                if (!_groups.Exists(g => g.Name == group))
                {
                    var policyRandom = new Random(unchecked((spec.Seed * 7919) + _groups.Count));
                    _groups.Add(new PolicyGroup(group, run.CreateForGroup(group, policyRandom)));
                }

                _apps.Add(request.App, new SimApp(request.App, group));
            }
        }

        var time = new VirtualTime(spec.Start, () => _now, (at, timer, generation) =>
            Schedule(at, new SimEvent(SimEventKind.Timer, null) { Timer = timer, Token = generation }));
        _engine = new ScalingEngine(this, _groups, time, spec.Engine);
        _engine.Applied += OnApplied;
        _engine.PolicyFailed += (group, ex) =>
            throw new InvalidOperationException($"policy '{group.Policy.Name}' of group '{group.Name}' failed: {ex.Message}", ex);
    }

    public PolicyRunReport Execute()
    {
        foreach (var request in _spec.Trace.Requests)
        {
            var app = _apps[request.App];
            Schedule(request.Arrival, new SimEvent(SimEventKind.Arrival, app) { Request = new SimRequest(request, app) });
        }

        while (_queue.TryPeek(out _, out var first) && first.Ticks <= _end.Ticks)
        {
            Advance(TimeSpan.FromTicks(first.Ticks));
            using (_engine.Batch())
            {
                while (_queue.TryPeek(out _, out var next) && next.Ticks == first.Ticks)
                {
                    Handle(_queue.Dequeue());
                }
            }

            _timeline.Record(_now, _live, _queued);
        }

        Advance(_end);
        _timeline.Finish();
        return Report();
    }

    private void Handle(SimEvent ev)
    {
        if (ev.Kind == SimEventKind.Timer)
        {
            ev.Timer!.Fire(ev.Token);
            return;
        }

        var app = ev.App!;
        switch (ev.Kind)
        {
            case SimEventKind.Arrival:
                if (!Arrive(ev.Request!))
                {
                    return; // queued: the PM learns of it from the records and the probe, not at once
                }

                break;

            case SimEventKind.StartDelayElapsed:
                if (ev.Request!.Waiting is null)
                {
                    return;
                }

                Report(app, new MoreRequested(app.Id, At(_now)));
                Schedule(_now + app.StartDelay, ev);
                break;

            case SimEventKind.ConnTimeout:
                if (ev.Request!.Waiting is not { } node)
                {
                    return;
                }

                app.Waiting.Remove(node);
                ev.Request.Waiting = null;
                _queued--;
                _rejected++;
                return; // a web process gave up: nothing the PM sees

            case SimEventKind.InstanceReady:
                var ready = ev.Instance!;
                if (ready.State != InstanceState.Starting)
                {
                    return; // retired while starting
                }

                ready.State = InstanceState.Idle;
                ready.StateSince = _now;
                TakeNextOrIdle(ready);
                break;

            case SimEventKind.ServiceDone:
                Complete(ev.Instance!);
                break;

            case SimEventKind.InstanceExit:
                Exit(ev.Instance!);
                return; // the exit itself is reported to the engine
        }

        _engine.OnInstancesChanged(app.Id);
    }

    /// <summary>A request arrives; true if an idle instance took it (an instance change), false if it waits.</summary>
    private bool Arrive(SimRequest request)
    {
        var app = request.App;
        if (app.Idle.First is { } idle)
        {
            Dispatch(idle.Value, request);
            return true;
        }

        // A web process that finds no socket asks for a start; one the PM made at this very instant it cannot have seen yet.
        if (app.SocketSince is not { } since || since == _now)
        {
            Report(app, new StartRequested(app.Id, At(_now)));
        }

        if (app.SocketSince is null)
        {
            return false; // the PM refused the app: nothing to wait on (cannot happen with a trace's apps)
        }

        request.Waiting = app.Waiting.AddLast(request);
        _queued++;
        Schedule(_now + app.StartDelay, new SimEvent(SimEventKind.StartDelayElapsed, app) { Request = request });
        if (_spec.AppConnTimeout is { } timeout && timeout > TimeSpan.Zero)
        {
            Schedule(_now + timeout, new SimEvent(SimEventKind.ConnTimeout, app) { Request = request });
        }

        return false;
    }

    private void Report(SimApp app, PolicyEvent e) => _engine.OnDemand([(app.Id, e)]);

    private void Dispatch(SimInstance instance, SimRequest request)
    {
        if (instance.IdleNode is { } node)
        {
            instance.App.Idle.Remove(node);
            instance.IdleNode = null;
        }

        instance.State = InstanceState.Busy;
        instance.StateSince = _now;
        instance.Current = request;
        request.Started = _now;
        _waits.Add((_now - request.Arrival).TotalSeconds);
        Schedule(_now + request.Service, new SimEvent(SimEventKind.ServiceDone, instance.App) { Instance = instance });
    }

    private void TakeNextOrIdle(SimInstance instance)
    {
        var app = instance.App;
        if (app.Waiting.First is { } oldest)
        {
            app.Waiting.RemoveFirst();
            oldest.Value.Waiting = null;
            _queued--;
            Dispatch(instance, oldest.Value);
            return;
        }

        instance.IdleNode = app.Idle.AddLast(instance);
    }

    private void Complete(SimInstance instance)
    {
        var app = instance.App;
        var request = instance.Current!;
        request.Done = true;
        instance.Current = null;
        instance.Served++;
        Report(app, new RequestCompleted(app.Id, At(_now), request.Started!.Value - request.Arrival, request.Service));
        if (instance.State == InstanceState.Retiring)
        {
            ScheduleExit(instance);
            return;
        }

        instance.State = InstanceState.Idle;
        instance.StateSince = _now;
        TakeNextOrIdle(instance);
    }

    private void ScheduleExit(SimInstance instance)
    {
        if (!instance.ExitScheduled)
        {
            instance.ExitScheduled = true;
            Schedule(_now + _spec.StopLatency, new SimEvent(SimEventKind.InstanceExit, instance.App) { Instance = instance });
        }
    }

    private void Exit(SimInstance instance)
    {
        var app = instance.App;
        app.Instances.Remove(instance);
        _live--;
        _engine.OnInstanceExited(new InstanceExited(app.Id, At(_now), instance.Id, 0, null, WasRetired: true, _now - instance.StartedAt));
    }

    // IInstancePool: what the engine does to the simulated apps.

    string? IInstancePool.Open(string appId)
    {
        var app = _apps[appId];
        app.SocketSince = _now;
        app.StartDelay = _groups.Find(g => g.Name == app.Group)!.Policy.StartDelay;
        return app.Group;
    }

    void IInstancePool.Release(string appId) => _apps[appId].SocketSince = null;

    void IInstancePool.Refresh(IReadOnlyCollection<string> appIds, DateTimeOffset now)
    {
        // The run's state is always exact.
    }

    AppView IInstancePool.View(string appId, int pendingStarts, DateTimeOffset now)
    {
        var app = _apps[appId];
        var instances = new List<InstanceView>(app.Instances.Count);
        foreach (var instance in app.Instances)
        {
            instances.Add(instance.ToView(_spec.Start));
        }

        return new AppView(app.Id, instances, pendingStarts, app.Waiting.Count);
    }

    int IInstancePool.InstanceCount(string appId) => _apps[appId].Instances.Count;

    int IInstancePool.QueuedConnections(string appId) => _apps[appId].Waiting.Count;

    int IInstancePool.FreeInstances(string appId) => _apps[appId].FreeInstances;

    long? IInstancePool.Start(string appId, string reason, out string? error)
    {
        error = null;
        var app = _apps[appId];
        var instance = new SimInstance(_nextInstanceId++, app, _now);
        app.Instances.Add(instance);
        _live++;
        _spawns++;
        _maxInstances = Math.Max(_maxInstances, _live);
        Schedule(_now + _spec.SpawnLatency.Next(_latencyRandom), new SimEvent(SimEventKind.InstanceReady, app) { Instance = instance });
        return instance.Id;
    }

    bool IInstancePool.Retire(string appId, long instanceId, string reason)
    {
        var instance = _apps[appId].Instances.Find(i => i.Id == instanceId);
        if (instance is null || instance.State == InstanceState.Retiring)
        {
            return false;
        }

        _kills++;
        if (instance.IdleNode is { } node)
        {
            instance.App.Idle.Remove(node);
            instance.IdleNode = null;
        }

        var wasBusy = instance.State == InstanceState.Busy;
        instance.State = InstanceState.Retiring;
        instance.StateSince = _now;
        if (!wasBusy)
        {
            ScheduleExit(instance);
        }

        return true;
    }

    int IInstancePool.TotalInstances => _live;

    // The simulator models no CPU: a policy sees the machine's load and cores as unknown (no shortPerCore limit).
    double? IInstancePool.CpuIdleShare => null;

    int? IInstancePool.Cores => null;

    private void OnApplied(AppliedDecision applied)
    {
        if (applied.Decision is CancelPendingStart)
        {
            _cancelled += applied.Count;
        }

        if (_log.Count >= _spec.DecisionLogLimit)
        {
            return;
        }

        var decision = applied.Decision;
        var what = decision switch
        {
            SpawnInstances s => s.NotBefore is { } nb && applied.Pending
                ? $"spawn {s.Count} not before {DurationFormat.Seconds(nb - _spec.Start)}"
                : $"spawn {s.Count}",
            RetireInstance r => $"retire {r.InstanceId}",
            CancelPendingStart => "cancel pending starts",
            _ => decision.GetType().Name,
        };
        _log.Add(string.Create(CultureInfo.InvariantCulture, $"{DurationFormat.SecondsFixed(_now)} {decision.AppId}: {what}: {decision.Reason}"));
    }

    private void Advance(TimeSpan to)
    {
        if (to > _now)
        {
            _instanceSeconds += _live * (to - _now).TotalSeconds;
            _now = to;
        }
    }

    private void Schedule(TimeSpan at, SimEvent ev) => _queue.Enqueue(ev, (at.Ticks, _sequence++));

    private DateTimeOffset At(TimeSpan offset) => _spec.Start + offset;

    private PolicyRunReport Report()
    {
        _waits.Sort();
        var served = _waits.Count;
        var unfinished = _spec.Trace.Requests.Count - _rejected - served + CountInService();
        return new PolicyRunReport(
            _run.Label,
            _groups.Count > 0 ? _groups[0].Policy.Name : string.Empty,
            _spec.Trace.Requests.Count,
            served,
            _rejected,
            unfinished,
            Percentile(0.50),
            Percentile(0.99),
            served == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(_waits[^1]),
            _instanceSeconds,
            _spawns,
            _kills,
            _cancelled,
            _maxInstances,
            _groups.Sum(g => g.Evaluations),
            _end,
            _timeline,
            _log);
    }

    private int CountInService()
    {
        var n = 0;
        foreach (var app in _apps.Values)
        {
            foreach (var instance in app.Instances)
            {
                if (instance.Current is not null)
                {
                    n++;
                }
            }
        }

        return n;
    }

    // Nearest-rank percentile of the served requests' waits.
    private TimeSpan Percentile(double p)
    {
        if (_waits.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (int)Math.Ceiling(p * _waits.Count);
        return TimeSpan.FromSeconds(_waits[Math.Clamp(rank - 1, 0, _waits.Count - 1)]);
    }
}
