using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// The default policy: start as many instances as the waiting requests need at once, within a spawn budget; retire
/// what the peak demand of the last idleTimeout does not need; never retire an instance holding a request.
/// </summary>
/// <remarks>
/// Constraints: the PM cannot see its front end's queue. What it sees is S records (a request found no instance), T
/// records (a request has waited startDelay; repeated every startDelay while it waits), C records (done, with queue
/// and service time) and instance states. So:
///
/// Waiting estimate W: the T records of the last 0.8 startDelay, one per waiting request, minus the requests that have
/// been served since (a C record frees an instance that takes the oldest waiter; a new instance found Busy took
/// one); if any instance is idle, nothing is waiting (the front end hands requests to idle instances first), so W
/// is 0. The PM also counts the connections in the app's accept queue (from the kernel): W is at least those not
/// about to be taken by idle instances, which shows a queue before any request has waited startDelay.
///
/// Drain credit: instances keep taking waiting requests while new ones start. With the measured spawn latency L and
/// mean service time s, within L a busy instance takes about L / s of them and a starting instance of age a about
/// min(a, L) / s once it is up, less the requests that arrive meanwhile (the last second's completion rate times L:
/// a saturated app's queue does not drain, and an app completing 0.8 of what its busy instances can is saturated);
/// only the rest of W needs instances started now. (Before L and s are
/// measured there is no credit, so a cold start gets everything at once.)
///
/// Scale up: wanted = max(busy + (W - credit) + spareProcesses when there is load, minClassProcesses once requested,
/// instances being replaced after R); the shortfall against fresh instances (idle + busy + starting) and pending
/// starts is started at once, limited by maxClassProcesses, maxProcesses and a token bucket (spawnBurst at once,
/// spawnRate per second). mod_fastcgi starts one instance per startDelay instead.
///
/// Scale down, with hysteresis: nothing for idleTimeout after a scale-up; then keep = max(minClassProcesses, ceil(peak over idleTimeout of the per-second average of
/// busy instances) + spareProcesses), and never below busy + spareProcesses. Under load the same level is a scale-up
/// target too (capped at busy + spareProcesses), which holds a spare ready without chasing momentary peaks. Pending starts beyond that are cancelled first, then idle instances not holding a
/// request are retired, the longest idle first. Requests spread round-robin never leave one instance idle for long,
/// so the floor comes from measured concurrency, not from per-instance idle time; averaging per second keeps random
/// coincidences of arrivals from holding instances for a whole window.
///
/// Failures: an exit the PM did not ask for, unclean or before serving anything inside minServerLife, extends a
/// streak; beyond maxFailedStarts in a row, starts wait restartDelay * 2^k (capped at failedStartsDelay, with
/// jitter from the injected Random). An instance started after the last failure that lives minServerLife ends it.
///
/// New binary (R): instances started before the modification are stale. Replacements for all of them are started at
/// once (within the budget); stale instances retire as soon as they are idle.
/// </remarks>
public sealed class DemandPolicy : IScalingPolicy
{
    // Weight of the newest C record in the smoothed service and queue times.
    private const double SmoothingWeight = 0.2;

    private readonly DemandPolicyOptions _options;
    private readonly Random _random;
    private readonly Dictionary<string, DemandApp> _apps = new(StringComparer.Ordinal);

    public DemandPolicy(DemandPolicyOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid demand policy options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
        _random = random;
    }

    public string Name => PolicyCatalog.Demand;

    public TimeSpan StartDelay => _options.StartDelay;

    /// <summary>The share of startDelay over which T records are counted as waiting requests.</summary>
    public const double SignalWindowShare = 0.8;

    public DemandPolicyOptions Options => _options;

    /// <summary>How long an instance of another app must have been idle before maxProcesses pressure retires it.</summary>
    public static readonly TimeSpan ReclaimAfterIdle = TimeSpan.FromSeconds(1);

    // The apps of the evaluation under way, for retiring other apps' idle instances under maxProcesses pressure.
    private IReadOnlyList<AppView> _views = [];

    public PolicyResult Evaluate(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = input.Now;
        foreach (var ev in input.Events)
        {
            Apply(GetOrCreate(ev.AppId), ev);
        }

        _views = input.Apps;
        var global = input.Global.TotalDynamicInstances;
        foreach (var view in input.Apps)
        {
            global += view.PendingStarts;
        }

        var decisions = new List<Decision>();
        var loads = new List<AppLoad>(input.Apps.Count);
        DateTimeOffset? next = null;
        foreach (var view in input.Apps)
        {
            if (!_apps.ContainsKey(view.AppId) && view.Instances.Count == 0 && view.PendingStarts == 0)
            {
                loads.Add(new AppLoad(view.AppId, new Dictionary<string, double>(), "not requested yet"));
                continue;
            }

            loads.Add(EvaluateApp(GetOrCreate(view.AppId), view, now, ref global, decisions, ref next));
        }

        foreach (var id in _apps.Keys.ToList())
        {
            if (!input.Apps.Any(a => a.AppId == id))
            {
                _apps.Remove(id);
            }
        }

        return new PolicyResult(decisions, next, loads);
    }

    private void Apply(DemandApp app, PolicyEvent ev)
    {
        switch (ev)
        {
            case StartRequested:
                // S means "the app is needed": many web processes may send one for the same cold start, and they
                // stand for at least one instance (the floor below), not one each. T records count the requests that wait.
                // An S record is not counted as a waiting request: the same request sends its first T record
                // startDelay after it arrived, which may be less than startDelay after its S record, and counting
                // both asked for a second instance while the first was still starting.
                app.Activated = true;
                app.StartRequested = true;
                app.Reclaimed = false;
                break;

            case MoreRequested:
                app.Activated = true;
                app.Reclaimed = false;
                app.Signals.Enqueue(ev.At);
                break;

            case RequestCompleted completed:
                app.Completions.Enqueue(completed.At);
                app.RecentCompletions.Enqueue(completed.At);
                app.ServiceSeconds = Smooth(app.ServiceSeconds, completed.ServiceTime.TotalSeconds);
                app.QueueSeconds = Smooth(app.QueueSeconds, completed.QueueTime.TotalSeconds);
                // The freed instance takes the oldest waiting request, if one waited before this completion.
                if (app.Signals.Count > 0 && app.Signals.Peek() <= completed.At)
                {
                    app.Signals.Dequeue();
                }

                break;

            case InstanceStarted started:
                app.Activated = true;
                app.Starting.Add(started.InstanceId); // it may be up, even busy, by the time the snapshot shows it
                break;

            case InstanceExited exited:
                OnExited(app, exited);
                break;

            case BinaryChanged changed:
                var modified = changed.EffectiveModifiedAt;
                app.StaleBefore = app.StaleBefore is { } before && before > modified ? before : modified;
                app.BinaryChangePending = true;
                break;
        }
    }

    private void OnExited(DemandApp app, InstanceExited exited)
    {
        app.Served.Remove(exited.InstanceId, out var served);
        app.Starting.Remove(exited.InstanceId);
        if (exited.WasRetired)
        {
            return;
        }

        var failed = !exited.Clean || (served == 0 && exited.Lifetime < _options.MinServerLife);
        if (!failed)
        {
            app.ConsecutiveFailures = 0;
            app.BackoffUntil = null;
            return;
        }

        app.ConsecutiveFailures++;
        app.LastFailureAt = exited.At;
        if (app.ConsecutiveFailures > _options.MaxFailedStarts)
        {
            var doublings = app.ConsecutiveFailures - _options.MaxFailedStarts - 1;
            var seconds = ExponentialBackoff.Delay(_options.RestartDelay, doublings, _options.FailedStartsDelay).TotalSeconds;
            if (_options.BackoffJitter > 0)
            {
                seconds *= 1 + (_options.BackoffJitter * ((2 * _random.NextDouble()) - 1));
            }

            app.BackoffUntil = exited.At + TimeSpan.FromSeconds(seconds);
        }
    }

    private AppLoad EvaluateApp(
        DemandApp app, AppView view, DateTimeOffset now, ref int global, List<Decision> decisions, ref DateTimeOffset? next)
    {
        var o = _options;
        // One request's T records are a timer period apart, and a timer may fire a little early against the
        // records' clock (millisecond ticks): counting over 0.8 startDelay keeps one request to one record.
        while (app.Signals.Count > 0 && app.Signals.Peek() <= now - (o.StartDelay * SignalWindowShare))
        {
            app.Signals.Dequeue();
        }

        while (app.Completions.Count > 0 && app.Completions.Peek() <= now - o.IdleTimeout)
        {
            app.Completions.Dequeue();
        }

        while (app.RecentCompletions.Count > 0 && app.RecentCompletions.Peek() <= now - RecentWindow)
        {
            app.RecentCompletions.Dequeue();
        }

        if (view.Instances.Count > 0 || view.PendingStarts > 0)
        {
            app.Activated = true;
        }

        // Classify the snapshot.
        var freshIdle = new List<InstanceView>();
        var staleIdle = new List<InstanceView>();
        int busy = 0, freshBusy = 0, freshStarting = 0, retiring = 0, staleLive = 0, dispatched = 0;
        var startingSeconds = 0.0; // summed age of starting instances, each capped at the spawn latency
        var starting = new HashSet<long>();
        app.Served.Clear();
        foreach (var instance in view.Instances)
        {
            app.Served[instance.InstanceId] = instance.RequestsServed;
            var newlyUp = instance.State is InstanceState.Idle or InstanceState.Busy
                && (app.Starting.Contains(instance.InstanceId) || (app.LastEvaluated is { } previous && instance.StartedAt > previous));
            if (newlyUp)
            {
                // Left Starting since the last evaluation; StateSince bounds the moment it became ready.
                app.StartSeconds = Smooth(app.StartSeconds, Math.Max(0, (instance.StateSince - instance.StartedAt).TotalSeconds));
            }

            var stale = app.StaleBefore is { } before && instance.StartedAt < before;
            switch (instance.State)
            {
                case InstanceState.Starting:
                    starting.Add(instance.InstanceId);
                    startingSeconds += Math.Min(Math.Max(0, (now - instance.StartedAt).TotalSeconds), app.StartSeconds ?? 0);
                    if (stale)
                    {
                        staleLive++;
                    }
                    else
                    {
                        freshStarting++;
                    }

                    break;
                case InstanceState.Idle:
                    if (stale)
                    {
                        staleLive++;
                        staleIdle.Add(instance);
                    }
                    else
                    {
                        freshIdle.Add(instance);
                    }

                    break;
                case InstanceState.Busy:
                    busy++;
                    if (newlyUp)
                    {
                        dispatched++;
                    }

                    if (stale)
                    {
                        staleLive++;
                    }
                    else
                    {
                        freshBusy++;
                    }

                    break;
                default:
                    retiring++;
                    break;
            }
        }

        for (var i = 0; i < dispatched && app.Signals.Count > 0; i++)
        {
            app.Signals.Dequeue();
        }

        if (freshIdle.Count + staleIdle.Count > 0)
        {
            app.Signals.Clear();
        }

        app.Starting = starting;
        app.LastEvaluated = now;
        // Requests in the accept queue are waiting too, seen before any T record; idle instances take as many next.
        var queued = Math.Max(0, view.QueuedConnections - freshIdle.Count - staleIdle.Count);
        var waiting = Math.Max(app.Signals.Count, queued);
        var pending = view.PendingStarts;

        // New binary: replace the capacity the app had, retire old instances as they become idle.
        if (app.BinaryChangePending)
        {
            app.BinaryChangePending = false;
            app.ReplacementTarget = staleLive;
        }

        if (app.StaleBefore is not null && staleLive == 0)
        {
            app.StaleBefore = null;
            app.ReplacementTarget = 0;
        }

        foreach (var old in staleIdle)
        {
            if (!old.HoldsRequest)
            {
                decisions.Add(new RetireInstance(app.AppId, old.InstanceId,
                    $"the binary changed at {ReasonFormat.Time(app.StaleBefore!.Value)}; retiring instance {old.InstanceId}"
                    + $" (started {ReasonFormat.Time(old.StartedAt)}) now that it is idle"));
            }
        }

        if (app.ConsecutiveFailures > 0 && app.LastFailureAt is { } lastFailure)
        {
            foreach (var instance in view.Instances)
            {
                if (instance.State is InstanceState.Idle or InstanceState.Busy && instance.StartedAt >= lastFailure
                    && now - instance.StartedAt >= o.MinServerLife)
                {
                    app.ConsecutiveFailures = 0;
                    app.BackoffUntil = null;
                    break;
                }
            }
        }

        // Demand: busy instances, waiting requests the busy ones cannot take in time, and the recent average level.
        // Waiting requests are a backlog, not a level of use: the floor follows busy instances only.
        app.PeakDemand.Add(now, busy);
        var peak = app.PeakDemand.Peak(now, o.IdleTimeout);
        var supply = freshIdle.Count + freshBusy + freshStarting + pending;
        var credit = DrainCredit(app, busy, startingSeconds, waiting);
        var immediate = busy + waiting - credit;
        var requested = app.StartRequested;
        var floor = Math.Max(app.Activated ? o.MinClassProcesses : 0, requested ? 1 : 0);
        app.StartRequested = false;
        // An app whose instances were retired to make room for another keeps what it has, but starts nothing back
        // for its floor until it is requested again.
        var startFloor = app.Reclaimed ? (requested ? 1 : 0) : floor;
        var replacement = app.StaleBefore is null ? 0 : app.ReplacementTarget;
        var keep = Math.Max(Math.Max(floor, Keep(peak)), replacement);
        // Under load, hold the spare at the averaged level; with nothing busy, never start for the past.
        var wanted = Math.Max(Math.Max(immediate, Math.Max(startFloor, replacement)), Math.Min(Keep(peak), Keep(busy)));
        var shortfall = wanted - supply;
        string note;
        if (shortfall > 0)
        {
            note = ScaleUp(app, now, shortfall, supply, wanted, immediate, keep, peak, startFloor, replacement, waiting, queued >= app.Signals.Count,
                waiting > 0 || requested, credit, busy,
                freshIdle.Count, freshStarting, pending, ref global, decisions, ref next, out var started);
            supply += started;
        }
        else if (waiting == 0 && supply > Math.Max(keep, Keep(busy)))
        {
            if (app.LastScaleUp is { } up && now - up < o.IdleTimeout)
            {
                // Hysteresis: what a scale-up started is kept for idleTimeout. The per-second averages only catch
                // up with a burst after its first second, and a closed loop of clients leaves instances idle for moments.
                note = $"holding the instances started at {ReasonFormat.Time(up)} for idleTimeout {DurationFormat.Seconds(o.IdleTimeout)}";
                next = Earliest(next, up + o.IdleTimeout);
            }
            else
            {
                // Never below what is busy right now plus the spare, whatever the averages say.
                keep = Math.Max(keep, Keep(busy));
                note = ScaleDown(app, view, now, supply, keep, peak, busy, pending, freshIdle, decisions, ref supply);
            }
        }
        else
        {
            note = "enough instances";
        }

        // Wake when the peak may fall, as long as a fall would leave instances to retire.
        if (supply > Math.Max(Math.Max(floor, Keep(busy)), replacement) && app.PeakDemand.NextChange(o.IdleTimeout) is { } change)
        {
            next = Earliest(next, change);
        }

        var backoffLeft = app.BackoffUntil is { } until && until > now ? (until - now).TotalSeconds : 0;
        var figures = new Dictionary<string, double>
        {
            ["arrivalRate"] = app.Completions.Count / o.IdleTimeout.TotalSeconds,
            ["serviceTime"] = app.ServiceSeconds ?? 0,
            ["queueTime"] = app.QueueSeconds ?? 0,
            ["waiting"] = waiting,
            ["queued"] = queued,
            ["busy"] = busy,
            ["idle"] = freshIdle.Count + staleIdle.Count,
            ["starting"] = freshStarting + pending,
            ["retiring"] = retiring,
            ["peakDemand"] = Math.Round(peak, 3),
            ["startLatency"] = app.StartSeconds ?? 0,
            ["target"] = Math.Max(wanted, keep),
            ["spawnTokens"] = Math.Floor(app.Tokens.Available(now) * 100) / 100,
            ["failures"] = app.ConsecutiveFailures,
            ["backoff"] = backoffLeft,
        };
        var summary = $"{busy} busy, {freshIdle.Count + staleIdle.Count} idle, {freshStarting + pending} starting,"
            + $" {waiting} waiting; {ReasonFormat.Number(figures["arrivalRate"])} req/s over {DurationFormat.Seconds(o.IdleTimeout)},"
            + $" service {ReasonFormat.Number((app.ServiceSeconds ?? 0) * 1000)} ms; keeping {keep} (peak {ReasonFormat.Number(peak)}); {note}"
            + (backoffLeft > 0 ? $"; starts backed off for {ReasonFormat.Number(backoffLeft)} s after {app.ConsecutiveFailures} failures" : string.Empty);
        return new AppLoad(app.AppId, figures, summary);
    }

    private string ScaleUp(
        DemandApp app, DateTimeOffset now, int shortfall, int supply, int wanted, int immediate, int keep, double peak,
        int floor, int replacement, int waiting, bool waitingQueued, bool urgent, int credit, int busy, int idle, int starting, int pending, ref int global, List<Decision> decisions,
        ref DateTimeOffset? next, out int started)
    {
        var o = _options;
        started = 0;
        string why;
        if (wanted == immediate && waiting > 0)
        {
            why = (waitingQueued
                    ? $"{ReasonFormat.Plural(waiting, "connection", "connections")} waiting in the accept queue"
                    : $"{ReasonFormat.Plural(waiting, "request", "requests")} waiting longer than startDelay {DurationFormat.Seconds(o.StartDelay)} (T records)")
                + (credit > 0 ? $", {credit} of them for the {busy} busy and {starting} starting instances to take before a new one is up" : string.Empty)
                + $"; {busy} busy, {idle} idle, {starting} starting, {pending} pending";
        }
        else if (wanted == replacement && replacement > 0)
        {
            why = $"the binary changed: replacing {replacement} instances of the old version ({supply} new so far)";
        }
        else if (wanted == floor && floor > 0)
        {
            why = floor > _options.MinClassProcesses
                ? $"a start was requested (S record) and the app has {supply} instances"
                : $"{supply} instances < minClassProcesses {floor}";
        }
        else
        {
            why = $"peak of {ReasonFormat.Number(peak)} busy instances on average per second over the last idleTimeout"
                + $" {DurationFormat.Seconds(o.IdleTimeout)}, + spareProcesses {o.SpareProcesses} = {wanted};"
                + $" {busy} busy, {idle} idle, {starting} starting, {pending} pending";
        }

        if (app.BackoffUntil is { } until && until > now)
        {
            next = Earliest(next, until);
            return $"{why}, but starts are backed off until {ReasonFormat.Time(until)}"
                + $" after {app.ConsecutiveFailures} failures in a row (more than maxFailedStarts {o.MaxFailedStarts})";
        }

        var classRoom = o.MaxClassProcesses - supply;
        var globalRoom = o.MaxProcesses - global;
        var allowed = Math.Min(shortfall, Math.Min(classRoom, globalRoom));
        if (allowed <= 0)
        {
            if (classRoom <= 0)
            {
                return $"{why}, but maxClassProcesses {o.MaxClassProcesses} is reached";
            }

            // Only for requests that wait (T records, the accept queue) or a start request, never for spares or floors.
            var reclaimed = urgent ? Reclaim(app, now, Math.Min(shortfall, classRoom), decisions) : 0;
            return $"{why}, but maxProcesses {o.MaxProcesses} is reached across all apps"
                + (reclaimed > 0 ? $"; retiring {reclaimed} idle instances of other apps to make room" : string.Empty);
        }

        var before = app.Tokens.Available(now);
        var count = app.Tokens.Take(allowed, now);
        if (count < allowed)
        {
            next = Earliest(next, app.Tokens.NextTokenAt(now));
        }

        if (count == 0)
        {
            return $"{why}; the spawn budget is spent (spawnBurst {o.SpawnBurst}, spawnRate {ReasonFormat.Number(o.SpawnRate)}/s)";
        }

        global += count;
        started = count;
        app.LastScaleUp = now;
        var limit = count == shortfall ? string.Empty
            : count < allowed ? $" of {shortfall} needed; the spawn budget had {ReasonFormat.Number(Math.Floor(before * 100) / 100)} starts"
                + $" (spawnBurst {o.SpawnBurst}, spawnRate {ReasonFormat.Number(o.SpawnRate)}/s)"
            : classRoom < globalRoom ? $" of {shortfall} needed; maxClassProcesses {o.MaxClassProcesses}"
            : $" of {shortfall} needed; maxProcesses {o.MaxProcesses} across all apps";
        decisions.Add(new SpawnInstances(app.AppId, count, null, $"{why}: starting {count}{limit}"));
        return $"started {count}";
    }

    /// <summary>
    /// maxProcesses pressure: an app with requests waiting must not wait for other apps' idle instances to age out
    /// (with minClassProcesses each keeps one for ever, and the 51st app would never start). Retires up to
    /// <paramref name="needed"/> instances of other apps that have been idle for <see cref="ReclaimAfterIdle"/> and
    /// hold no request, the longest idle first, less those already retiring; the waiting app starts once they exit.
    /// A reclaimed app starts nothing back for its minClassProcesses floor until it is requested again.
    /// </summary>
    private int Reclaim(DemandApp app, DateTimeOffset now, int needed, List<Decision> decisions)
    {
        var retiring = _views.Sum(v => v.Instances.Count(i => i.State == InstanceState.Retiring));
        needed -= retiring;
        if (needed <= 0)
        {
            return 0;
        }

        var victims = _views.Where(v => v.AppId != app.AppId)
            .SelectMany(v => v.Instances.Select(i => (App: v.AppId, Instance: i)))
            .Where(x => x.Instance.State == InstanceState.Idle && !x.Instance.HoldsRequest && now - x.Instance.StateSince >= ReclaimAfterIdle)
            .OrderBy(x => x.Instance.StateSince)
            .Take(needed)
            .ToList();
        foreach (var (victimApp, instance) in victims)
        {
            GetOrCreate(victimApp).Reclaimed = true;
            decisions.Add(new RetireInstance(victimApp, instance.InstanceId,
                $"maxProcesses {_options.MaxProcesses} is reached and {app.AppId} has requests waiting: retiring instance"
                + $" {instance.InstanceId}, idle for {DurationFormat.Seconds(now - instance.StateSince)}"));
        }

        return victims.Count;
    }

    private string ScaleDown(
        DemandApp app, AppView view, DateTimeOffset now, int supply, int keep, double peak, int busy, int pending,
        List<InstanceView> idle, List<Decision> decisions, ref int supplyAfter)
    {
        var o = _options;
        var excess = supply - keep;
        var why = $"peak of {ReasonFormat.Number(peak)} busy instances on average per second over the last idleTimeout {DurationFormat.Seconds(o.IdleTimeout)}"
            + $" and {busy} busy now need {keep} instances (spareProcesses {o.SpareProcesses}, minClassProcesses {o.MinClassProcesses}); {supply} available";
        if (pending > 0)
        {
            decisions.Add(new CancelPendingStart(app.AppId, $"{why}: cancelling {pending} pending starts"));
            excess -= pending;
            supplyAfter -= pending;
        }

        var retired = 0;
        foreach (var instance in idle.Where(i => !i.HoldsRequest).OrderBy(i => i.StateSince).ThenByDescending(i => i.InstanceId))
        {
            if (retired >= excess)
            {
                break;
            }

            decisions.Add(new RetireInstance(view.AppId, instance.InstanceId,
                $"{why}: retiring instance {instance.InstanceId}, idle for {DurationFormat.Seconds(now - instance.StateSince)}"));
            retired++;
        }

        supplyAfter -= retired;
        return retired > 0 ? $"retired {retired}" : pending > 0 ? "cancelled pending starts" : "excess instances are busy";
    }

    // Waiting requests the live instances will take before an instance started now could be up.
    // New requests keep arriving meanwhile (at the rate of the last second's completions): they take their share
    // first, so a queue that is not draining gets no credit. An app already completing at least SaturatedShare of
    // what its busy instances can is saturated: the rest of the difference is measurement noise (the busy count is
    // a snapshot, service times are smoothed), and crediting it would leave a steady queue unserved.
    private static int DrainCredit(DemandApp app, int busy, double startingSeconds, int waiting)
    {
        if (waiting == 0 || app.StartSeconds is not { } start || app.ServiceSeconds is not { } service || service <= 0)
        {
            return 0;
        }

        var recent = app.RecentCompletions.Count / RecentWindow.TotalSeconds;
        if (busy > 0 && recent >= SaturatedShare * busy / service)
        {
            return 0;
        }

        var drained = (((busy * start) + startingSeconds) / service) - (recent * start);
        return (int)Math.Clamp(Math.Floor(drained), 0, waiting);
    }

    /// <summary>Completions per second, as a share of busy / service time, from which an app counts as saturated.</summary>
    private const double SaturatedShare = 0.8;

    /// <summary>The window of the recent arrival rate that drain credit subtracts.</summary>
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(1);

    // Instances to keep for a demand level: the level, rounded up, plus the spare when there is any demand.
    private int Keep(double demand)
    {
        var level = (int)Math.Ceiling(demand - 1e-9);
        return level > 0 ? level + _options.SpareProcesses : 0;
    }

    private DemandApp GetOrCreate(string appId)
    {
        if (!_apps.TryGetValue(appId, out var app))
        {
            app = new DemandApp(appId, _options);
            _apps.Add(appId, app);
        }

        return app;
    }

    private static double Smooth(double? previous, double sample) =>
        previous is { } p ? p + (SmoothingWeight * (sample - p)) : sample;

    private static DateTimeOffset Earliest(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } c && c <= candidate ? c : candidate;
}
