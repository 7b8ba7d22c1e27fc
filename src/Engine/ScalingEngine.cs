using System.Diagnostics;
using Pm.Policy;

namespace Pm.Engine;

/// <summary>
/// The decide-then-apply loop for dynamic apps, one for the PM and the simulator alike. Records from web
/// processes (start, more needed, completed, binary changed) and instance exits become events for the policy of
/// the app's group; the group is evaluated; its decisions are applied to an <see cref="IInstancePool"/>: spawn
/// now or hold the start until its NotBefore, retire an instance gracefully, cancel held starts. An app scaled to
/// zero is released (its socket given up) until the next start record.
/// <para>
/// Constraints: calls come from one loop, never concurrently (asserted); time comes only from the injected
/// <see cref="TimeProvider"/>, whose timers must call back on that same loop (the PM's posts to its supervisor
/// loop, the simulator's runs in virtual time, a test's FakeTimeProvider fires inside Advance); no timer is set
/// with a zero delay, so no callback ever runs inside a call. No randomness: the policies hold their own.
/// </para>
/// <para>
/// When a group is evaluated: at the end of the call (or of the <see cref="Batch"/>) that brought a start, more or
/// changed record, an exit or an instance change; within <see cref="ScalingEngineOptions.CompletionCoalescing"/>
/// of a completion; at the policy's NextEvaluation; and when the accept-queue probe finds requests waiting with no
/// idle instance to take them. A group is evaluated once per batch, however many records it got. A settled group
/// (its last evaluation decided nothing while connections waited, nothing starting or held) is asked again by the
/// probe only, every <see cref="ScalingEngineOptions.SettledInterval"/>; an evaluation the probe asks for uses the
/// probe's look at the instances instead of taking another.
/// </para>
/// </summary>
public sealed class ScalingEngine
{
    // A group that is still dirty after this many evaluations within one batch is looked at again after the minimum delay.
    private const int MaxRoundsPerBatch = 3;

    private readonly IInstancePool _pool;
    private readonly TimeProvider _time;
    private readonly ScalingEngineOptions _options;
    private readonly Dictionary<string, PolicyGroup> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScaledApp> _apps = new(StringComparer.Ordinal);
    private readonly List<PolicyGroup> _dirty = [];
    private ITimer? _probeTimer;
    private DateTimeOffset _lastDemand;
    private DateTimeOffset _lastStart = DateTimeOffset.MinValue;
    private DateTimeOffset _probeDue;
    private bool _probedInCall;
    private int _batchDepth;
    private int _inside;
    private bool _stopping;

    public ScalingEngine(IInstancePool pool, IEnumerable<PolicyGroup> groups, TimeProvider time, ScalingEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(time);
        _pool = pool;
        _time = time;
        _options = options ?? ScalingEngineOptions.Default;
        foreach (var group in groups)
        {
            if (!_groups.TryAdd(group.Name, group))
            {
                throw new ArgumentException($"two policy groups are named '{group.Name}'", nameof(groups));
            }
        }
    }

    /// <summary>Every decision, just before it is carried out (so a log line about it precedes what it causes).</summary>
    public event Action<AppliedDecision>? Applied;

    /// <summary>A policy threw; its apps keep their instances. The group and the exception.</summary>
    public event Action<PolicyGroup, Exception>? PolicyFailed;

    public IReadOnlyCollection<PolicyGroup> Groups => _groups.Values;

    /// <summary>The apps open now, in no particular order.</summary>
    public IReadOnlyCollection<ScaledApp> Apps => _apps.Values;

    public ScaledApp? Find(string appId) => _apps.GetValueOrDefault(appId);

    public bool IsOpen(string appId) => _apps.ContainsKey(appId);

    /// <summary>
    /// Evaluations that calls inside the scope ask for are made once, when the outermost scope ends: a loop
    /// that handles several things at one instant evaluates each group once.
    /// </summary>
    public BatchScope Batch()
    {
        _batchDepth++;
        return new BatchScope(this);
    }

    /// <summary>Records from web processes, in the order they wrote them, each as a policy event for its app.</summary>
    public void OnDemand(IReadOnlyList<(string AppId, PolicyEvent Event)> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = Enter();
        if (_stopping)
        {
            return;
        }

        _lastDemand = _time.GetUtcNow();
        foreach (var (appId, e) in batch)
        {
            if (!_apps.TryGetValue(appId, out var app))
            {
                if (e is RequestCompleted)
                {
                    continue; // a completion for an app already gone: nothing to scale
                }

                app = Open(appId);
                if (app is null)
                {
                    continue;
                }
            }

            app.Group.Events.Add(e);
            if (e is RequestCompleted)
            {
                app.RequestsCompleted++;
                var queued = _pool.QueuedConnections(app.Id) > 0;
                if (!(queued && app.Group.Settled))
                {
                    // A settled group's completions wait for the probe's next look (SettledInterval).
                    RequestEvaluation(app.Group, queued ? _options.QueuedCompletionCoalescing : _options.CompletionCoalescing);
                }
            }
            else
            {
                MarkDirty(app.Group);
            }
        }

        EnsureProbing();
    }

    /// <summary>An instance of the app was reaped; <paramref name="exit"/> says how it ended.</summary>
    public void OnInstanceExited(InstanceExited exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        using var scope = Enter();
        if (!_apps.TryGetValue(exit.AppId, out var app))
        {
            return;
        }

        app.LastExitWasRetirement = exit.WasRetired;
        app.Group.Events.Add(exit);
        MarkDirty(app.Group);
    }

    /// <summary>The pool saw the app's instances change (ready, busy, idle): its policy gets a look.</summary>
    public void OnInstancesChanged(string appId)
    {
        using var scope = Enter();
        if (_apps.TryGetValue(appId, out var app))
        {
            MarkDirty(app.Group);
        }
    }

    /// <summary>The policy's StartDelay for an open app (how often a waiting request sends a T record).</summary>
    public TimeSpan StartDelay(string appId) =>
        _apps.TryGetValue(appId, out var app) ? app.Group.Policy.StartDelay
            : throw new InvalidOperationException($"app '{appId}' is not open");

    /// <summary>Shutdown: no more starts or evaluations; held starts are dropped. The pool stops the instances.</summary>
    public void Stop()
    {
        using var scope = Enter();
        _stopping = true;
        _dirty.Clear();
        _probeTimer?.Dispose();
        _probeTimer = null;
        foreach (var group in _groups.Values)
        {
            group.Dirty = false;
            group.EvaluationTimer?.Dispose();
            group.EvaluationTimer = null;
        }

        foreach (var app in _apps.Values)
        {
            app.PendingStarts.Clear();
            app.PendingTimer?.Dispose();
            app.PendingTimer = null;
        }
    }

    private ScaledApp? Open(string appId)
    {
        if (_pool.Open(appId) is not { } name)
        {
            return null;
        }

        if (!_groups.TryGetValue(name, out var group))
        {
            throw new InvalidOperationException($"the pool put app '{appId}' in policy group '{name}', which the engine does not have");
        }

        var app = new ScaledApp(appId, group);
        _apps[appId] = app;
        group.Apps.Add(app);
        return app;
    }

    private void MarkDirty(PolicyGroup group)
    {
        if (!group.Dirty && !_stopping)
        {
            group.Dirty = true;
            _dirty.Add(group);
        }
    }

    /// <summary>
    /// Asks for an evaluation within <paramref name="within"/>. Requests coalesce: a group already to be evaluated
    /// in this batch needs nothing more; a timer already due as early covers a request that may wait as long, and
    /// is brought forward by one that may not.
    /// </summary>
    private void RequestEvaluation(PolicyGroup group, TimeSpan within)
    {
        if (_stopping || group.Dirty)
        {
            return;
        }

        if (within <= TimeSpan.Zero)
        {
            MarkDirty(group);
            return;
        }

        var due = _time.GetUtcNow() + within;
        if (group.EvaluationTimer is not null && group.EvaluationDue <= due)
        {
            return;
        }

        group.EvaluationTimer?.Dispose();
        group.EvaluationDue = due;
        ITimer? timer = null;
        timer = After(within, () =>
        {
            if (!ReferenceEquals(group.EvaluationTimer, timer))
            {
                return; // superseded, or cancelled after it had fired
            }

            group.EvaluationTimer = null;
            MarkDirty(group);
        });
        group.EvaluationTimer = timer;
    }

    private void EvaluateDirty()
    {
        for (var round = 0; round < MaxRoundsPerBatch && _dirty.Count > 0; round++)
        {
            var groups = _dirty.ToArray();
            _dirty.Clear();
            foreach (var group in groups)
            {
                group.Dirty = false;
                if (!_stopping)
                {
                    Evaluate(group);
                }
            }
        }

        // A policy that keeps making work for itself within one instant: look again shortly instead of spinning.
        foreach (var group in _dirty)
        {
            group.Dirty = false;
            RequestEvaluation(group, _options.MinimumDelay);
        }

        _dirty.Clear();
    }

    private void Evaluate(PolicyGroup group)
    {
        // This evaluation covers whatever a timer was waiting for; the policy says below when it wants the next.
        group.EvaluationTimer?.Dispose();
        group.EvaluationTimer = null;
        var now = _time.GetUtcNow();
        var ids = group.Apps.Select(a => a.Id).ToList();
        if (!_probedInCall)
        {
            // Within the probe's own call the pool was just refreshed for every app: nothing has changed since.
            _pool.Refresh(ids, now);
        }

        var views = group.Apps.Select(a => _pool.View(a.Id, a.PendingStarts.Count, now)).ToList();
        var input = new PolicyInput(now, views, group.Events.ToList(), new GlobalView(_pool.TotalInstances, _pool.CpuIdleShare, _pool.Cores));
        group.Events.Clear();
        group.LastEvaluation = now;
        group.Evaluations++;
        PolicyResult result;
        try
        {
            result = group.Policy.Evaluate(input);
        }
        catch (Exception ex)
        {
            PolicyFailed?.Invoke(group, ex);
            return;
        }

        foreach (var load in result.Loads)
        {
            if (_apps.TryGetValue(load.AppId, out var app) && app.Group == group)
            {
                app.Load = load;
            }
        }

        foreach (var decision in result.Decisions)
        {
            if (_apps.TryGetValue(decision.AppId, out var app) && app.Group == group)
            {
                Apply(app, decision, now);
            }
            else
            {
                // A policy only decides about the apps it was shown: anything else is a bug in it, reported, not applied.
                PolicyFailed?.Invoke(group, new InvalidOperationException(
                    $"policy '{group.Policy.Name}' of group '{group.Name}' decided about another app '{decision.AppId}', which it does not govern"));
            }
        }

        group.Settled = _options.SettledInterval > TimeSpan.Zero && result.Decisions.Count == 0 && !Starting(now)
            && views.Any(v => v.QueuedConnections > 0)
            && views.All(v => v.PendingStarts == 0 && !v.Instances.Any(i => i.State == InstanceState.Starting));
        group.NextEvaluation = result.NextEvaluation;
        if (result.NextEvaluation is { } next)
        {
            RequestEvaluation(group, Max(next - now, _options.MinimumDelay));
        }

        foreach (var app in group.Apps.ToList())
        {
            ReleaseIfIdle(app, now);
        }
    }

    private void Apply(ScaledApp app, Decision decision, DateTimeOffset now)
    {
        var policy = app.Group.Policy.Name;
        app.LastDecision = $"{policy}: {decision.Reason}";
        switch (decision)
        {
            case SpawnInstances spawn when spawn.NotBefore is { } at && at > now:
                Applied?.Invoke(new AppliedDecision(now, app.Group.Name, policy, decision, spawn.Count, Pending: true));
                app.PendingStarts.AddRange(Enumerable.Repeat(at, spawn.Count));
                SchedulePending(app);
                break;
            case SpawnInstances spawn:
                Applied?.Invoke(new AppliedDecision(now, app.Group.Name, policy, decision, spawn.Count, Pending: false));
                for (var n = 0; n < spawn.Count; n++)
                {
                    Spawn(app, $"policy {policy}", now);
                }

                break;
            case RetireInstance retire:
                Applied?.Invoke(new AppliedDecision(now, app.Group.Name, policy, decision, 1, Pending: false));
                _pool.Retire(app.Id, retire.InstanceId, $"retired by policy {policy}");
                break;
            case CancelPendingStart:
                if (app.PendingStarts.Count > 0)
                {
                    Applied?.Invoke(new AppliedDecision(now, app.Group.Name, policy, decision, app.PendingStarts.Count, Pending: false));
                    app.PendingStarts.Clear();
                    app.PendingTimer?.Dispose();
                    app.PendingTimer = null;
                }

                break;
        }
    }

    private void Spawn(ScaledApp app, string reason, DateTimeOffset now)
    {
        if (_pool.Start(app.Id, reason, out _) is { } id)
        {
            app.Group.Events.Add(new InstanceStarted(app.Id, now, id));
            _lastStart = now;
            EnsureProbing();
            return;
        }

        // An executable that cannot be started is reported to the policy like an instance that died at once.
        app.Group.Events.Add(new InstanceExited(app.Id, now, -1, 127, null, false, TimeSpan.Zero));
        MarkDirty(app.Group);
    }

    private void SchedulePending(ScaledApp app)
    {
        app.PendingTimer?.Dispose();
        app.PendingTimer = null;
        if (app.PendingStarts.Count == 0)
        {
            return;
        }

        var delay = Max(app.PendingStarts.Min() - _time.GetUtcNow(), _options.MinimumDelay);
        app.PendingTimer = After(delay, () => OnPendingStartDue(app));
    }

    private void OnPendingStartDue(ScaledApp app)
    {
        if (_stopping || !ReferenceEquals(_apps.GetValueOrDefault(app.Id), app))
        {
            return; // shut down, or released since
        }

        app.PendingTimer = null;
        var now = _time.GetUtcNow();
        var due = app.PendingStarts.Count(t => t <= now);
        app.PendingStarts.RemoveAll(t => t <= now);
        for (var n = 0; n < due; n++)
        {
            Spawn(app, "a pending start came due", now);
        }

        SchedulePending(app);
    }

    /// <summary>
    /// An app the policy scaled to zero (its last instance retired, no start pending) gives up its socket, so the
    /// next request asks for a start instead of waiting in a queue nobody serves. A request already queued keeps it,
    /// and counts as a start request. An app whose instances crashed keeps its socket while its policy backs off.
    /// </summary>
    private void ReleaseIfIdle(ScaledApp app, DateTimeOffset now)
    {
        if (app.PendingStarts.Count > 0 || !app.LastExitWasRetirement || _pool.InstanceCount(app.Id) > 0)
        {
            return;
        }

        _pool.Refresh([app.Id], now);
        if (_pool.QueuedConnections(app.Id) > 0)
        {
            app.Group.Events.Add(new StartRequested(app.Id, now));
            MarkDirty(app.Group);
            return;
        }

        app.Group.Apps.Remove(app);
        _apps.Remove(app.Id);
        _pool.Release(app.Id);
    }

    private void EnsureProbing()
    {
        if (_stopping || _apps.Count == 0 || _options.ProbeInterval <= TimeSpan.Zero)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var interval = Starting(now) ? Min(_options.StartingProbeInterval, _options.ProbeInterval)
            : _apps.Values.All(a => a.Group.Settled) ? Max(_options.ProbeInterval, _options.SettledInterval)
            : _options.ProbeInterval;
        if (_probeTimer is not null && _probeDue <= now + interval)
        {
            return;
        }

        _probeTimer?.Dispose();
        ITimer? timer = null;
        timer = After(interval, () =>
        {
            if (ReferenceEquals(_probeTimer, timer))
            {
                _probeTimer = null;
                OnProbeDue();
            }
        });
        _probeTimer = timer;
        _probeDue = now + interval;
    }

    // Within the window after a start, when the faster probing applies.
    private bool Starting(DateTimeOffset now) =>
        _options.StartingProbeInterval > TimeSpan.Zero && now - _lastStart < _options.StartingProbeWindow
        && _pool.TotalInstances <= _options.StartingProbeMaxInstances;

    /// <summary>
    /// The periodic look at the accept queues while web processes report traffic: a request waiting in a queue
    /// that no instance takes is demand they report only later (after startDelay), so the policy is asked at once.
    /// </summary>
    private void OnProbeDue()
    {
        if (_stopping || _apps.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        _pool.Refresh(_apps.Keys, now);
        _probedInCall = true;
        var queued = false;
        foreach (var app in _apps.Values)
        {
            var waiting = _pool.QueuedConnections(app.Id);
            if (waiting > 0)
            {
                queued = true;
                // A queue the policy already answered with a held start, or that the free instances are about to take,
                // needs no look. More waiting than free instances means the free ones are not free: an instance
                // between two requests of microseconds looks idle to the probe (the demand policy counts it working
                // then too).
                if (app.PendingStarts.Count == 0 && waiting > _pool.FreeInstances(app.Id) && !HeldSettled(app, now))
                {
                    MarkDirty(app.Group);
                }
            }
        }

        // Every request ends with a record from its web process, so an app with no record for a while has no
        // traffic to watch: stop looking until the next record (or while connections still wait).
        if (queued || now - _lastDemand < _options.ProbeWhileActive || Starting(now))
        {
            EnsureProbing();
        }
    }

    /// <summary>A settled group is asked again only <see cref="ScalingEngineOptions.SettledInterval"/> after its last evaluation.</summary>
    private bool HeldSettled(ScaledApp app, DateTimeOffset now) =>
        app.Group.Settled && app.Group.LastEvaluation is { } last && now - last < _options.SettledInterval;

    /// <summary>A one-shot timer whose callback runs as an engine call of its own (evaluating what it made dirty).</summary>
    private ITimer After(TimeSpan delay, Action callback)
    {
        Debug.Assert(delay > TimeSpan.Zero, "a zero delay could run the callback inside the call that set it");
        return _time.CreateTimer(static state =>
        {
            var (engine, action) = ((ScalingEngine, Action))state!;
            using var scope = engine.Enter();
            action();
        }, (this, callback), delay, Timeout.InfiniteTimeSpan);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private CallScope Enter()
    {
        var inside = Interlocked.Increment(ref _inside);
        Debug.Assert(inside == 1, "ScalingEngine is called from one loop only: a second call came in while one was running");
        _batchDepth++;
        return new CallScope(this);
    }

    private void Leave()
    {
        EndBatch();
        _probedInCall = false;
        Interlocked.Decrement(ref _inside);
    }

    /// <summary>The end of a call or of a <see cref="Batch"/>: the outermost one makes the evaluations asked for inside it.</summary>
    private void EndBatch()
    {
        if (--_batchDepth == 0)
        {
            EvaluateDirty();
        }
    }

    /// <summary>Ends a <see cref="Batch"/>: the evaluations asked for inside it are made now.</summary>
    public readonly struct BatchScope : IDisposable
    {
        private readonly ScalingEngine _engine;

        internal BatchScope(ScalingEngine engine) => _engine = engine;

        public void Dispose() => _engine.EndBatch();
    }

    private readonly struct CallScope(ScalingEngine engine) : IDisposable
    {
        public void Dispose() => engine.Leave();
    }
}
