using System.Globalization;
using Pm.Policy;
using Pm.Shared;

namespace Pm.Simulation;

/// <summary>
/// Replays a trace through one policy in virtual time: a discrete-event loop over a priority queue ordered by
/// (time, insertion order), so equal times keep a deterministic order. No threads, no clocks, no sleeps.
/// </summary>
/// <remarks>
/// Model, chosen to match what the PM and its front end do:
///  - front end: a request goes to the app's longest-idle instance, else waits in a FIFO queue. A request arriving
///    while the app has no instance at all (not even starting) sends S. Every startDelay (the policy's) a waiting
///    request sends T. After appConnTimeout it is rejected. The waiting requests are the app's accept queue, which
///    the PM reads from the kernel and shows the policy.
///  - PM: applies decisions at once. SpawnInstances with a future NotBefore is held as pending until then;
///    CancelPendingStart drops what is held. A spawned instance is Starting for a spawn latency drawn from the model,
///    then Idle. A retired instance takes no new request; idle, it exits after the stop latency, busy, after its
///    request. C records carry queue time (arrival to start of service) and service time.
///  - evaluation: after all events of one instant, every app touched by them is evaluated once, with the events it
///    has not seen and a snapshot; also at each policy's NextEvaluation. Decisions' own consequences (an instance
///    started now) reach the policy at its next evaluation, as they would in the PM.
/// </remarks>
internal sealed class SimulationRun
{
    // A policy that asks to be woken "now" again is woken this much later, so time always moves forward.
    private static readonly TimeSpan MinWakeDelay = TimeSpan.FromMilliseconds(1);

    private readonly SimulationSpec _spec;
    private readonly PolicyRunSpec _run;
    private readonly PriorityQueue<SimEvent, (long Ticks, long Sequence)> _queue = new();
    private readonly List<SimApp> _apps = [];
    private readonly List<SimApp> _dirty = [];
    private readonly Random _latencyRandom;
    private readonly List<double> _waits = [];
    private readonly List<string> _log = [];
    private readonly Timeline _timeline;
    private readonly TimeSpan _end;
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
    private long _evaluations;
    private string? _policyName;

    public SimulationRun(SimulationSpec spec, PolicyRunSpec run)
    {
        _spec = spec;
        _run = run;
        _latencyRandom = new Random(spec.Seed);
        _end = spec.Trace.Duration + spec.CoolDown;
        _timeline = new Timeline(_end, spec.ChartBuckets);
    }

    public PolicyRunReport Execute()
    {
        var byId = new Dictionary<string, SimApp>(StringComparer.Ordinal);
        foreach (var request in _spec.Trace.Requests)
        {
            if (!byId.TryGetValue(request.App, out var app))
            {
                var policyRandom = new Random(unchecked((_spec.Seed * 7919) + byId.Count));
                app = new SimApp(request.App, byId.Count, _run.CreateForApp(request.App, policyRandom));
                _policyName ??= app.Policy.Name;
                byId.Add(request.App, app);
                _apps.Add(app);
            }

            Schedule(request.Arrival, new SimEvent(SimEventKind.Arrival, app) { Request = new SimRequest(request, app) });
        }

        while (_queue.TryPeek(out _, out var first) && first.Ticks <= _end.Ticks)
        {
            Advance(TimeSpan.FromTicks(first.Ticks));
            while (_queue.TryPeek(out _, out var next) && next.Ticks == first.Ticks)
            {
                Handle(_queue.Dequeue());
            }

            _dirty.Sort((a, b) => a.Order.CompareTo(b.Order));
            foreach (var app in _dirty)
            {
                app.Dirty = false;
                Evaluate(app);
            }

            _dirty.Clear();
            _timeline.Record(_now, _live, _queued);
        }

        Advance(_end);
        _timeline.Finish();
        return Report();
    }

    private void Handle(SimEvent ev)
    {
        var app = ev.App;
        switch (ev.Kind)
        {
            case SimEventKind.Arrival:
                Arrive(ev.Request!);
                break;

            case SimEventKind.StartDelayElapsed:
                if (ev.Request!.Waiting is null)
                {
                    return;
                }

                app.Events.Add(new MoreRequested(app.Id, At(_now)));
                Schedule(_now + app.Policy.StartDelay, ev);
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
                break;

            case SimEventKind.SpawnDue:
                var index = app.Pending.FindIndex(p => p.Id == ev.Token);
                if (index < 0)
                {
                    return; // cancelled
                }

                app.Pending.RemoveAt(index);
                Spawn(app);
                break;

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
                break;

            case SimEventKind.Wake:
                if (ev.Token != app.WakeToken)
                {
                    return; // superseded by a later NextEvaluation
                }

                break;
        }

        MarkDirty(app);
    }

    private void Arrive(SimRequest request)
    {
        var app = request.App;
        if (app.Idle.First is { } idle)
        {
            Dispatch(idle.Value, request);
            return;
        }

        request.Waiting = app.Waiting.AddLast(request);
        _queued++;
        if (app.Available == 0)
        {
            app.Events.Add(new StartRequested(app.Id, At(_now)));
        }

        Schedule(_now + app.Policy.StartDelay, new SimEvent(SimEventKind.StartDelayElapsed, app) { Request = request });
        if (_spec.AppConnTimeout is { } timeout && timeout > TimeSpan.Zero)
        {
            Schedule(_now + timeout, new SimEvent(SimEventKind.ConnTimeout, app) { Request = request });
        }
    }

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
        app.Events.Add(new RequestCompleted(app.Id, At(_now), request.Started!.Value - request.Arrival, request.Service));
        if (instance.State == InstanceState.Retiring)
        {
            ScheduleExit(instance);
            return;
        }

        instance.State = InstanceState.Idle;
        instance.StateSince = _now;
        TakeNextOrIdle(instance);
    }

    private void Spawn(SimApp app)
    {
        var instance = new SimInstance(_nextInstanceId++, app, _now);
        app.Instances.Add(instance);
        _live++;
        _spawns++;
        _maxInstances = Math.Max(_maxInstances, _live);
        app.Events.Add(new InstanceStarted(app.Id, At(_now), instance.Id));
        Schedule(_now + _spec.SpawnLatency.Next(_latencyRandom), new SimEvent(SimEventKind.InstanceReady, app) { Instance = instance });
    }

    private void Retire(SimInstance instance)
    {
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
        app.Events.Add(new InstanceExited(app.Id, At(_now), instance.Id, 0, null, WasRetired: true, _now - instance.StartedAt));
    }

    private void Evaluate(SimApp app)
    {
        var start = _spec.Start;
        var instances = new List<InstanceView>(app.Instances.Count);
        foreach (var instance in app.Instances)
        {
            instances.Add(instance.ToView(start));
        }

        var input = new PolicyInput(At(_now), [new AppView(app.Id, instances, app.Pending.Count, app.Waiting.Count)], app.Events.ToList(), new GlobalView(_live));
        app.Events.Clear();
        var result = app.Policy.Evaluate(input);
        _evaluations++;
        foreach (var decision in result.Decisions)
        {
            Apply(app, decision);
        }

        if (result.NextEvaluation is { } next)
        {
            var at = next - start;
            if (at < _now + MinWakeDelay)
            {
                at = _now + MinWakeDelay;
            }

            app.WakeToken++;
            Schedule(at, new SimEvent(SimEventKind.Wake, app) { Token = app.WakeToken });
        }
    }

    private void Apply(SimApp app, Decision decision)
    {
        if (decision.AppId != app.Id)
        {
            throw new InvalidOperationException(
                $"policy '{app.Policy.Name}' for app '{app.Id}' decided about another app '{decision.AppId}'");
        }

        Log(decision);
        switch (decision)
        {
            case SpawnInstances spawn:
                for (var i = 0; i < spawn.Count; i++)
                {
                    var due = spawn.NotBefore is { } notBefore ? notBefore - _spec.Start : _now;
                    if (due <= _now)
                    {
                        Spawn(app);
                    }
                    else
                    {
                        var id = _sequence; // unique enough: sequence numbers never repeat
                        app.Pending.Add((id, due));
                        Schedule(due, new SimEvent(SimEventKind.SpawnDue, app) { Token = id });
                    }
                }

                break;

            case RetireInstance retire:
                var instance = app.Instances.Find(i => i.Id == retire.InstanceId);
                if (instance is not null && instance.State != InstanceState.Retiring)
                {
                    _kills++;
                    Retire(instance);
                }

                break;

            case CancelPendingStart:
                _cancelled += app.Pending.Count;
                app.Pending.Clear();
                break;
        }
    }

    private void Log(Decision decision)
    {
        if (_log.Count >= _spec.DecisionLogLimit)
        {
            return;
        }

        var what = decision switch
        {
            SpawnInstances s => s.NotBefore is { } nb
                ? $"spawn {s.Count} not before {DurationFormat.Seconds(nb - _spec.Start)}"
                : $"spawn {s.Count}",
            RetireInstance r => $"retire {r.InstanceId}",
            CancelPendingStart => "cancel pending starts",
            _ => decision.GetType().Name,
        };
        _log.Add(string.Create(CultureInfo.InvariantCulture, $"{DurationFormat.SecondsFixed(_now)} {decision.AppId}: {what}: {decision.Reason}"));
    }

    private void MarkDirty(SimApp app)
    {
        if (!app.Dirty)
        {
            app.Dirty = true;
            _dirty.Add(app);
        }
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
            _policyName ?? string.Empty,
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
            _evaluations,
            _end,
            _timeline,
            _log);
    }

    private int CountInService()
    {
        var n = 0;
        foreach (var app in _apps)
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
