using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Policy;
using Pm.Posix;
using Pm.Spawning;
using Pm.Status;
using Pm.Supervision;
using SupervisedState = Pm.Supervision.InstancePhase;

namespace Pm.Dynamic;

/// <summary>
/// Dynamic apps on the PM's side. Web processes report demand through the queue (start, more needed,
/// completed, binary changed); each report becomes an event for the policy of the app's root; the policy is
/// evaluated and its decisions are applied here: spawn now or later (pending starts), retire an instance
/// gracefully (drained, through <see cref="InstanceLifecycle.Stop"/>), cancel pending starts. Every decision is
/// logged with the policy's reason. Runs on the supervisor loop only.
/// <para>
/// Start records are trusted no further than the config allows: the path must be a dynamic app under a root
/// (<see cref="DynamicScriptResolver.Check"/>), whoever wrote the record.
/// </para>
/// </summary>
public sealed class DynamicAppManager
{
    /// <summary>How often the accept queues are looked at while dynamic apps run: the demand nobody has reported yet.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Probing stops this long after the last record from a web process, so idle apps cost nothing.</summary>
    private static readonly TimeSpan ProbeWhileActive = TimeSpan.FromSeconds(2);

    /// <summary>Completion records only refine statistics; evaluations they cause are coalesced this long.</summary>
    private static readonly TimeSpan CompletionCoalescing = TimeSpan.FromMilliseconds(50);

    private readonly PmConfig _config;
    private readonly List<PolicyGroup> _urgent = [];
    private readonly InstanceLifecycle _lifecycle;
    private readonly EventTimers _timers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Action<SupervisorEvent> _post;
    private readonly Dictionary<DynamicRootConfig, PolicyGroup> _groups = [];
    private readonly Dictionary<string, DynamicApp> _apps = new(StringComparer.Ordinal);
    private ITimer? _probeTimer;
    private DateTimeOffset _lastDemand;
    private bool _stopping;

    public DynamicAppManager(PmConfig config, InstanceLifecycle lifecycle, EventTimers timers, TimeProvider time, ILogger log, Action<SupervisorEvent> post)
    {
        _config = config;
        _lifecycle = lifecycle;
        _timers = timers;
        _time = time;
        _log = log;
        _post = post;
        foreach (var root in config.DynamicRoots)
        {
            _groups[root] = new PolicyGroup(root, PolicyCatalog.Create(root.PolicyName, root.PolicyParameters));
            if (root.IgnoredPolicyParameters.Count > 0)
            {
                _log.LogInformation("dynamic root {Url} ({Dir}): {Ignored}", root.UrlPrefix, root.Directory,
                    PolicyValidatorText(root));
            }
        }
    }

    public IReadOnlyCollection<DynamicApp> Apps => _apps.Values;

    public int TotalInstances => _apps.Values.Sum(a => a.Instances.Count);

    private static string PolicyValidatorText(DynamicRootConfig root) =>
        $"mod_fastcgi options {string.Join(", ", root.IgnoredPolicyParameters.Select(p => "-" + p))} do not apply to policy '{root.PolicyName}' and are ignored";

    /// <summary>A queue record, as a policy event for the app at <paramref name="path"/>.</summary>
    public void OnDemand(string path, PolicyEvent e)
    {
        if (_stopping)
        {
            return;
        }

        _lastDemand = _time.GetUtcNow();
        if (!_apps.TryGetValue(path, out var app))
        {
            if (e is RequestCompleted)
            {
                return; // a completion for an app already gone: nothing to scale
            }

            app = Create(path);
            if (app is null)
            {
                return;
            }
        }

        if (e is RequestCompleted)
        {
            app.RequestsCompleted = (app.RequestsCompleted ?? 0) + 1;
        }

        EnsureProbing();
        app.Group.Events.Add(e);
        if (e is RequestCompleted)
        {
            RequestEvaluation(app.Group, CompletionCoalescing);
        }
        else if (!_urgent.Contains(app.Group))
        {
            _urgent.Add(app.Group);
        }
    }

    /// <summary>
    /// Evaluates, now, the policies of the groups that got start, more or changed records in the batch just handed
    /// to <see cref="OnDemand"/>: a request waits on them, and posting the evaluation to the loop put it behind
    /// whatever else was queued (0.3-2 ms of a cold start). Once per group and batch, so a burst coalesces.
    /// </summary>
    public void EvaluateUrgent()
    {
        foreach (var group in _urgent)
        {
            // A timer or an already posted evaluation may follow; it evaluates again, which changes nothing.
            group.EvaluationTimer?.Dispose();
            group.EvaluationTimer = null;
            group.EvaluationPosted = false;
            if (!_stopping)
            {
                Evaluate(group);
            }
        }

        _urgent.Clear();
    }

    private DynamicApp? Create(string path)
    {
        var check = DynamicScriptResolver.Check(_config.DynamicRoots, path);
        if (check.Script is not { } script)
        {
            _log.LogWarning("refusing to start {Path}: {Problem}", path, check.Problem);
            return null;
        }

        var group = _groups[script.Root];
        ListenSocket socket;
        var address = AppAddress.Unix(IpcLayout.DynamicSocket(_config.IpcDir, path));
        try
        {
            socket = ListenSocket.Open(address, _config.Dynamic.ListenQueueDepth);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            _log.LogError("dynamic app {Path}: cannot listen on {Socket}: {Error}", path, address, ex.Message);
            return null;
        }

        var spec = new SpawnSpec(path, path, [], _config.Dynamic.Environment, Path.GetDirectoryName(path) ?? "/",
            socket.Descriptor, 0, null, _config.Wrapper);
        var app = new DynamicApp(script, group, socket, spec);
        _apps[path] = app;
        group.Apps.Add(app);
        _log.LogInformation("dynamic app {Path}: created under root {Url}, policy {Policy}, socket {Socket}",
            path, script.Root.UrlPrefix, group.Policy.Name, address);
        EnsureProbing();
        return app;
    }

    /// <summary>A dynamic instance was reaped.</summary>
    public void OnInstanceExited(Instance instance, WaitStatus? status)
    {
        if (instance.App is not DynamicApp app)
        {
            return;
        }

        var now = _time.GetUtcNow();
        app.LastExitWasRetirement = instance.StopReason is not null;
        app.Group.Events.Add(new InstanceExited(app.Name, now, instance.Id,
            status is { Exited: true } s ? s.ExitCode : null,
            status is { Signaled: true } k ? k.TermSignal : null,
            instance.StopReason is not null, now - instance.StartedAt));
        RequestEvaluation(app.Group, TimeSpan.Zero);
    }

    public void OnEvaluationDue(PolicyGroup group)
    {
        group.EvaluationPosted = false;
        group.EvaluationTimer = null;
        if (!_stopping)
        {
            Evaluate(group);
        }
    }

    public void OnPendingStartDue(DynamicApp app)
    {
        app.PendingTimer = null;
        if (_stopping || app.Released)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var due = app.PendingStarts.Where(t => t <= now).ToList();
        foreach (var t in due)
        {
            app.PendingStarts.Remove(t);
            Spawn(app, "a pending start came due");
        }

        SchedulePending(app);
    }

    /// <summary>
    /// The periodic look at the accept queues while web processes report traffic: a request waiting in a queue
    /// that no instance takes is demand they report only later (after startDelay), so the policy is asked at once.
    /// </summary>
    public void OnProbeDue()
    {
        _probeTimer = null;
        if (_stopping || _apps.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        ConnectionProbe.Refresh(_apps.Values.ToList(), now);
        var queued = false;
        foreach (var group in _groups.Values)
        {
            if (group.Apps.Any(a => a.QueuedConnections > 0 && !a.Instances.Any(i => i.State == SupervisedState.Running && !i.HoldsRequest)))
            {
                RequestEvaluation(group, TimeSpan.Zero);
            }

            queued |= group.Apps.Any(a => a.QueuedConnections > 0);
        }

        // Every request ends with a record from its web process, so an app with no record for a while has no
        // traffic to watch: stop looking until the next record (or while connections still wait).
        if (queued || now - _lastDemand < ProbeWhileActive)
        {
            EnsureProbing();
        }
    }

    private void EnsureProbing()
    {
        if (_probeTimer is null && !_stopping && _apps.Count > 0)
        {
            _probeTimer = _timers.After(ProbeInterval, new SupervisorEvent.DynamicProbeDue());
        }
    }

    /// <summary>
    /// Asks for an evaluation within <paramref name="within"/>. Requests coalesce: one already posted to the loop
    /// covers everything; one waiting on a timer covers a request that may wait as long, and is brought forward by
    /// one that may not (a start record must not sit behind a coalescing or NextEvaluation timer).
    /// </summary>
    private void RequestEvaluation(PolicyGroup group, TimeSpan within)
    {
        var due = _time.GetUtcNow() + within;
        if (group.EvaluationPosted && (group.EvaluationTimer is null || group.EvaluationDue <= due))
        {
            return;
        }

        group.EvaluationTimer?.Dispose();
        group.EvaluationTimer = null;
        group.EvaluationPosted = true;
        group.EvaluationDue = due;
        if (within <= TimeSpan.Zero)
        {
            _post(new SupervisorEvent.PolicyEvaluationDue(group));
        }
        else
        {
            group.EvaluationTimer = _timers.After(within, new SupervisorEvent.PolicyEvaluationDue(group));
        }
    }

    private void Evaluate(PolicyGroup group)
    {
        var now = _time.GetUtcNow();
        ConnectionProbe.Refresh(group.Apps, now);
        var views = group.Apps.Select(a => new AppView(a.Name, a.Instances.Select(i => View(a, i, now)).ToList(), a.PendingStarts.Count, a.QueuedConnections)).ToList();
        var input = new PolicyInput(now, views, group.Events.ToList(), new GlobalView(TotalInstances));
        group.Events.Clear();
        group.LastEvaluation = now;
        PolicyResult result;
        try
        {
            result = group.Policy.Evaluate(input);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "policy {Policy} of root {Url} failed; its apps keep their instances", group.Policy.Name, group.Root.UrlPrefix);
            return;
        }

        foreach (var load in result.Loads)
        {
            if (_apps.TryGetValue(load.AppId, out var app))
            {
                app.Load = load;
            }
        }

        foreach (var decision in result.Decisions)
        {
            if (_apps.TryGetValue(decision.AppId, out var app))
            {
                Apply(app, decision, now);
            }
        }

        group.NextEvaluation = result.NextEvaluation;
        if (result.NextEvaluation is { } next)
        {
            RequestEvaluation(group, next - now);
        }

        foreach (var app in group.Apps.ToList())
        {
            ReleaseIfIdle(app);
        }
    }

    private static Policy.InstanceView View(DynamicApp app, Instance i, DateTimeOffset now)
    {
        var state = i.State == SupervisedState.Stopping ? Policy.InstanceState.Retiring
            : i.HoldsRequest ? Policy.InstanceState.Busy
            : !i.Ready ? Policy.InstanceState.Starting
            : Policy.InstanceState.Idle;
        return new Policy.InstanceView(i.Id, state, i.StartedAt, i.StateSince, i.HoldsRequest, 0);
    }

    private void Apply(DynamicApp app, Decision decision, DateTimeOffset now)
    {
        app.LastDecision = $"{app.Group.Policy.Name}: {decision.Reason}";
        switch (decision)
        {
            case SpawnInstances spawn:
                if (spawn.NotBefore is { } at && at > now)
                {
                    _log.LogInformation("app {App}: policy {Policy}: {Count} start(s) pending until {At:HH:mm:ss.fff}: {Reason}",
                        app.Name, app.Group.Policy.Name, spawn.Count, at.ToLocalTime(), spawn.Reason);
                    app.PendingStarts.AddRange(Enumerable.Repeat(at, spawn.Count));
                    SchedulePending(app);
                }
                else
                {
                    _log.LogInformation("app {App}: policy {Policy}: starting {Count}: {Reason}", app.Name, app.Group.Policy.Name, spawn.Count, spawn.Reason);
                    for (var n = 0; n < spawn.Count; n++)
                    {
                        Spawn(app, $"policy {app.Group.Policy.Name}");
                    }
                }

                break;
            case RetireInstance retire:
                if (app.Instances.FirstOrDefault(i => i.Id == retire.InstanceId) is { } victim)
                {
                    _log.LogInformation("app {App}: policy {Policy}: retiring pid {Pid}: {Reason}", app.Name, app.Group.Policy.Name, victim.Pid, retire.Reason);
                    _lifecycle.Stop(victim, _config.ShutdownTimeout, $"retired by policy {app.Group.Policy.Name}", drainFor: _config.Dynamic.Request.IdleTimeout);
                }

                break;
            case CancelPendingStart cancel:
                if (app.PendingStarts.Count > 0)
                {
                    _log.LogInformation("app {App}: policy {Policy}: cancelling {Count} pending start(s): {Reason}", app.Name, app.Group.Policy.Name, app.PendingStarts.Count, cancel.Reason);
                    app.PendingStarts.Clear();
                    app.PendingTimer?.Dispose();
                    app.PendingTimer = null;
                }

                break;
        }
    }

    private void Spawn(DynamicApp app, string reason)
    {
        var now = _time.GetUtcNow();
        var instance = _lifecycle.Start(app, -1, reason, out var error);
        if (instance is null)
        {
            // An executable that cannot be started is reported to the policy like an instance that died at once.
            app.LastExit = new ExitRecord(0, now, $"start failed ({error})", TimeSpan.Zero);
            app.Group.Events.Add(new InstanceExited(app.Name, now, -1, 127, null, false, TimeSpan.Zero));
            RequestEvaluation(app.Group, TimeSpan.Zero);
            return;
        }

        app.Group.Events.Add(new InstanceStarted(app.Name, now, instance.Id));
    }

    private void SchedulePending(DynamicApp app)
    {
        app.PendingTimer?.Dispose();
        app.PendingTimer = null;
        if (app.PendingStarts.Count > 0)
        {
            var next = app.PendingStarts.Min();
            app.PendingTimer = _timers.After(next - _time.GetUtcNow(), new SupervisorEvent.PendingStartDue(app));
        }
    }

    /// <summary>
    /// An app the policy scaled to zero (its last instance retired, no start pending) gives up its socket, so the
    /// next request asks for a start instead of waiting in a queue nobody serves. A request already queued keeps it,
    /// and counts as a start request. An app whose instances crashed keeps its socket while its policy backs off.
    /// </summary>
    private void ReleaseIfIdle(DynamicApp app)
    {
        if (app.Instances.Count > 0 || app.PendingStarts.Count > 0 || app.Released || !app.LastExitWasRetirement)
        {
            return;
        }

        ConnectionProbe.Refresh([app], _time.GetUtcNow());
        if (app.QueuedConnections > 0)
        {
            app.Group.Events.Add(new StartRequested(app.Name, _time.GetUtcNow()));
            RequestEvaluation(app.Group, TimeSpan.Zero);
            return;
        }

        app.Released = true;
        app.Socket.Dispose();
        app.Group.Apps.Remove(app);
        _apps.Remove(app.Name);
        _log.LogInformation("dynamic app {Path}: no instances left; socket removed until the next request", app.Name);
    }

    /// <summary>Shutdown: no more starts; the supervisor stops the instances.</summary>
    public void Stop()
    {
        _stopping = true;
        _probeTimer?.Dispose();
        foreach (var group in _groups.Values)
        {
            group.EvaluationTimer?.Dispose();
        }

        foreach (var app in _apps.Values)
        {
            app.PendingStarts.Clear();
            app.PendingTimer?.Dispose();
        }
    }

    /// <summary>After every instance is gone: the sockets.</summary>
    public void ReleaseAll()
    {
        foreach (var app in _apps.Values)
        {
            app.Socket.Dispose();
        }

        _apps.Clear();
    }

    public IEnumerable<AppStatus> Status()
    {
        foreach (var app in _apps.Values.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            var figures = app.Load?.Figures.ToDictionary(kv => kv.Key, kv => kv.Value) ?? [];
            figures["queuedConnections"] = app.QueuedConnections;
            yield return new AppStatus(app.Name, app.Kind, app.Socket.Address.ToString(), app.Script.ScriptName,
                app.Instances.Count + app.PendingStarts.Count, app.Restarts, 0, app.PendingStarts.Count > 0 ? app.PendingStarts.Min() : null,
                app.LastDecision, app.LastExit is { } e ? new ExitStatusReport(e.Pid, e.At, e.How, e.Lifetime.TotalSeconds) : null,
                app.RequestsCompleted,
                app.Instances.Select(i => new InstanceStatus(i.Id, i.Pid, Supervisor.StateName(i), i.StartedAt, null, -1)).ToList(),
                figures, app.Group.Policy.Name, app.Load?.Summary);
        }
    }
}
