using System.Globalization;
using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// mod_fastcgi 2.4's dynamic-application heuristics, reproduced so that a site moving from mod_fastcgi keeps the
/// behaviour it tuned for, and so the simulator can show what the other policies improve.
/// </summary>
/// <remarks>
/// Constraints: decisions only; the PM spawns, retires and reports back. mod_fastcgi forks synchronously inside its
/// loop, we cannot: a slot in START is represented at the PM by one pending start whose NotBefore is the slot's due
/// time, and the slot becomes RUNNING when the InstanceStarted event arrives. To keep mod_fastcgi's spacing of starts
/// (each spawn moves the app's restartTime, which gates the next), at most one start per app is outstanding at the PM;
/// the next START slot is issued once the previous one has started.
///
/// Scheme of one evaluation, in mod_fastcgi's order:
///   1. every updateInterval: smoothConnTime = (1-gainValue)*smoothConnTime + gainValue*totalConnTime; totalConnTime = 0.
///   2. events in order: S (ignored if a slot runs) and T schedule a start in the first free slot, gated by
///      maxProcesses, one pending start per app, initStartDelay/restartDelay since the app's last spawn; C adds to
///      totalConnTime; R retires instances older than the binary; exits free slots and apply the restart rule.
///   3. kill policy when killInterval has passed since the last run, or total + processSlack >= maxProcesses:
///      per app, LF = (int)(100*connTime / (n*elapsed_us + 1)); keep if n == 1 and LF >= singleThreshold, or
///      n > 1 and n/(n-1)*LF >= multiThreshold; else cancel a pending start, or wait for a victim, or retire the youngest;
///      stop once total - victims &lt;= minProcesses.
///   4. the backoff check for START slots (more than maxFailedStarts unprovoked exits and nothing has lived
///      minServerLife: starts are spaced by failedStartsDelay), then issue or re-time the outstanding start.
///
/// Deliberate differences, each a mod_fastcgi bug: the n/(n-1) ratio is exact unless reproduceIntegerDivision is set;
/// S/T never schedule a start into a slot whose process is still retiring (mod_fastcgi loses such a start), and an R
/// record that finds every slot retiring schedules nothing instead of losing a start in slot 0.
/// </remarks>
public sealed class ClassicPolicy : IScalingPolicy
{
    private readonly ClassicPolicyOptions _options;
    private readonly List<ClassicApp> _apps = []; // creation order, like mod_fastcgi's server list
    private readonly Dictionary<string, ClassicApp> _byId = new(StringComparer.Ordinal);
    private DateTimeOffset? _epoch;        // last kill-policy run (fcgi_dynamic_epoch)
    private DateTimeOffset? _lastAnalyzed; // last statistics update (fcgi_dynamic_last_analyzed)

    public ClassicPolicy(ClassicPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid classic policy options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
    }

    public string Name => PolicyCatalog.Classic;

    public TimeSpan StartDelay => _options.StartDelay;

    public ClassicPolicyOptions Options => _options;

    public PolicyResult Evaluate(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = input.Now;
        var total = input.Global.TotalDynamicInstances;
        var decisions = new List<Decision>();

        UpdateStatistics(now);
        foreach (var ev in input.Events)
        {
            Apply(ev, now, total, decisions);
        }

        Reconcile(input.Apps);

        _epoch ??= now;
        var sinceKill = now - _epoch.Value;
        if (sinceKill >= _options.KillInterval)
        {
            KillIdle(now, total, decisions,
                $"the kill policy ran because killInterval {DurationFormat.Seconds(_options.KillInterval)} had passed");
            _epoch = now;
        }
        else if (total + _options.ProcessSlack >= _options.MaxProcesses)
        {
            KillIdle(now, total, decisions,
                $"the kill policy ran because {total} instances + processSlack {_options.ProcessSlack} >= maxProcesses {_options.MaxProcesses}");
            _epoch = now;
        }

        foreach (var app in _apps)
        {
            IssueStart(app, now, decisions);
        }

        Prune(input.Apps);
        var next = Min(_epoch.Value + _options.KillInterval, _lastAnalyzed!.Value + _options.UpdateInterval);
        return new PolicyResult(decisions, next, Loads(input.Apps));
    }

    private void UpdateStatistics(DateTimeOffset now)
    {
        _lastAnalyzed ??= now;
        var elapsed = now - _lastAnalyzed.Value;
        if (elapsed < _options.UpdateInterval)
        {
            return;
        }

        // Advance by whole intervals so the update cadence does not drift with evaluation times.
        var intervals = elapsed.Ticks / _options.UpdateInterval.Ticks;
        _lastAnalyzed = _lastAnalyzed.Value + TimeSpan.FromTicks(intervals * _options.UpdateInterval.Ticks);
        var gain = _options.GainValue;
        foreach (var app in _apps)
        {
            app.SmoothConnTimeUs = (long)(((1.0 - gain) * app.SmoothConnTimeUs) + (gain * app.TotalConnTimeUs));
            app.TotalConnTimeUs = 0;
            app.TotalQueueTimeUs = 0;
        }
    }

    private void Apply(PolicyEvent ev, DateTimeOffset now, int total, List<Decision> decisions)
    {
        switch (ev)
        {
            case StartRequested:
            {
                var app = GetOrCreate(ev.AppId);
                if (app.Running > 0)
                {
                    app.LastNote = "S record ignored: an instance is already running";
                    return;
                }

                ScheduleOnRequest(app, now, total, "an S record asked for the app and no instance was running");
                return;
            }

            case MoreRequested:
                ScheduleOnRequest(GetOrCreate(ev.AppId), now, total,
                    $"a T record reported a request waiting longer than startDelay {DurationFormat.Seconds(_options.StartDelay)}");
                return;

            case RequestCompleted completed:
                // mod_fastcgi only records statistics for apps it already knows.
                if (_byId.TryGetValue(ev.AppId, out var known))
                {
                    known.TotalConnTimeUs += completed.ServiceTime.Ticks / TimeSpan.TicksPerMicrosecond;
                    known.TotalQueueTimeUs += completed.QueueTime.Ticks / TimeSpan.TicksPerMicrosecond;
                }

                return;

            case BinaryChanged changed:
                OnBinaryChanged(changed, now, decisions);
                return;

            case InstanceStarted started:
                OnStarted(GetOrCreate(ev.AppId), started.InstanceId, started.At);
                return;

            case InstanceExited exited:
                if (_byId.TryGetValue(ev.AppId, out var owner))
                {
                    OnExited(owner, exited);
                }

                return;
        }
    }

    private void ScheduleOnRequest(ClassicApp app, DateTimeOffset now, int total, string why)
    {
        if (total + 1 > _options.MaxProcesses)
        {
            app.MaxReached.Held(true);
            app.LastNote = $"request for another instance ignored: {total} instances already, maxProcesses {_options.MaxProcesses}";
            return;
        }

        foreach (var slot in app.Slots)
        {
            switch (slot.State)
            {
                case ClassicSlotState.Start:
                    app.LastNote = "request for another instance ignored: a start is already pending";
                    return;
                case ClassicSlotState.Running:
                case ClassicSlotState.Victim: // mod_fastcgi would lose a start scheduled here
                    continue;
                default:
                    app.MaxReached.Held(false);
                    ScheduleStart(app, slot, now, why);
                    return;
            }
        }

        app.MaxReached.Held(true);
        app.LastNote = $"request for another instance ignored: all maxClassProcesses {_options.MaxClassProcesses} slots are in use";
    }

    // schedule_start: a start shortly after the app's previous spawn is dropped, not deferred.
    private void ScheduleStart(ClassicApp app, ClassicSlot slot, DateTimeOffset now, string why)
    {
        if (app.RestartTime is { } last)
        {
            var passed = now - last;
            var gate = slot.HasRun ? _options.RestartDelay : _options.InitStartDelay;
            if (passed < gate)
            {
                var name = slot.HasRun ? "restartDelay" : "initStartDelay";
                app.LastNote = $"start request ignored: the last start was {DurationFormat.Seconds(passed)} ago, "
                    + $"{name} is {DurationFormat.Seconds(gate)}";
                return;
            }
        }

        slot.State = ClassicSlotState.Start;
        slot.Issued = false;
        slot.StartReason = why;
    }

    private void OnBinaryChanged(BinaryChanged changed, DateTimeOffset now, List<Decision> decisions)
    {
        var isNew = !_byId.ContainsKey(changed.AppId);
        var app = GetOrCreate(changed.AppId);
        if (!isNew)
        {
            var modified = changed.EffectiveModifiedAt;
            if (app.StartTime is null || modified > app.StartTime.Value)
            {
                app.StartTime = now; // one R per change: later R records compare against this
                foreach (var slot in app.Slots)
                {
                    if (slot.State == ClassicSlotState.Running && slot.InstanceId is { } id
                        && (slot.StartTime is null || modified > slot.StartTime.Value))
                    {
                        slot.State = ClassicSlotState.Victim;
                        decisions.Add(new RetireInstance(app.AppId, id,
                            $"the binary changed at {ReasonFormat.Time(modified)}, after instance {id} started"
                            + $" at {ReasonFormat.Time(slot.StartTime ?? default)}; retiring it to run the new version"));
                    }
                }
            }

            if (_options.Restart)
            {
                return; // the restart rule starts a replacement as each old instance exits
            }
        }

        foreach (var slot in app.Slots)
        {
            if (slot.State is ClassicSlotState.Start or ClassicSlotState.Running)
            {
                return;
            }

            if (slot.State is ClassicSlotState.Ready or ClassicSlotState.Killed)
            {
                ScheduleStart(app, slot, now, "an R record reported a new binary");
                return;
            }
        }

        app.LastNote = "R record: no free slot for a new instance while the old ones retire";
    }

    private void OnStarted(ClassicApp app, long instanceId, DateTimeOffset at)
    {
        if (app.FindInstance(instanceId) is not null)
        {
            return;
        }

        var slot = app.Slots.Find(s => s.State == ClassicSlotState.Start && s.Issued)
            ?? app.Slots.Find(s => s.State == ClassicSlotState.Start)
            ?? FreeSlot(app);
        if (slot.IssuedWithBackoff)
        {
            // The backed-off start is being made: one more failure backs off again.
            app.Bad = false;
            app.NumFailures = _options.MaxFailedStarts;
        }

        slot.State = ClassicSlotState.Running;
        slot.Issued = false;
        slot.IssuedWithBackoff = false;
        slot.InstanceId = instanceId;
        slot.HasRun = true;
        slot.StartTime = at;
        app.RestartTime = app.RestartTime is { } last && last > at ? last : at;
        app.StartTime ??= at;
    }

    private void OnExited(ClassicApp app, InstanceExited exited)
    {
        var slot = app.FindInstance(exited.InstanceId);
        if (slot is null)
        {
            return;
        }

        slot.InstanceId = null;
        if (slot.State == ClassicSlotState.Victim || exited.WasRetired)
        {
            slot.State = ClassicSlotState.Killed;
            return;
        }

        // An exit nobody asked for counts as a failure whatever the status.
        slot.State = ClassicSlotState.Ready;
        app.NumFailures++;
        var how = exited.Signal is { } sig
            ? $"was killed by signal {sig}"
            : $"exited with status {exited.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
        if (_options.Restart)
        {
            slot.State = ClassicSlotState.Start;
            slot.StartReason = $"instance {exited.InstanceId} {how} and restart is on";
        }
        else if (app.Processes <= 0 && _options.SingleThreshold == 0)
        {
            slot.State = ClassicSlotState.Start;
            slot.StartReason = $"instance {exited.InstanceId}, the app's last, {how} and singleThreshold 0 keeps one instance";
        }
    }

    // The snapshot is authoritative about which instances exist; events normally already said so.
    private void Reconcile(IReadOnlyList<AppView> views)
    {
        foreach (var view in views)
        {
            if (!_byId.TryGetValue(view.AppId, out var app))
            {
                if (view.Instances.Count == 0)
                {
                    continue;
                }

                app = GetOrCreate(view.AppId);
            }

            foreach (var slot in app.Slots)
            {
                if (slot.InstanceId is { } id && slot.State is ClassicSlotState.Running or ClassicSlotState.Victim)
                {
                    var seen = Find(view.Instances, id);
                    if (seen is null)
                    {
                        slot.InstanceId = null;
                        slot.State = ClassicSlotState.Killed;
                    }
                    else if (seen.State == InstanceState.Retiring)
                    {
                        slot.State = ClassicSlotState.Victim;
                    }
                }
            }

            foreach (var instance in view.Instances)
            {
                if (app.FindInstance(instance.InstanceId) is null)
                {
                    var slot = FreeSlot(app);
                    slot.State = instance.State == InstanceState.Retiring ? ClassicSlotState.Victim : ClassicSlotState.Running;
                    slot.InstanceId = instance.InstanceId;
                    slot.HasRun = true;
                    slot.StartTime = instance.StartedAt;
                    app.StartTime ??= instance.StartedAt;
                }
            }
        }
    }

    // dynamic_kill_idle_fs_procs
    private void KillIdle(DateTimeOffset now, int total, List<Decision> decisions, string trigger)
    {
        var victims = 0;
        var elapsedUs = (now - _epoch!.Value).Ticks / TimeSpan.TicksPerMicrosecond;
        foreach (var app in _apps)
        {
            if (app.Processes == 0)
            {
                continue;
            }

            var n = app.Running;
            var loadFactor = LoadFactor(app, n, elapsedUs);
            app.LastLoadFactor = loadFactor;
            string measure;
            if (n == 1)
            {
                if (loadFactor >= _options.SingleThreshold)
                {
                    continue;
                }

                measure = $"load factor {loadFactor}% < singleThreshold {_options.SingleThreshold}% with 1 instance";
            }
            else
            {
                var load = ScaledLoad(n, loadFactor);
                if (load >= _options.MultiThreshold)
                {
                    continue;
                }

                measure = $"load factor {loadFactor}% over {n} instances is {ReasonFormat.Number(load)}% scaled by n/(n-1)"
                    + $"{(_options.ReproduceIntegerDivision ? " in integers" : string.Empty)}, < multiThreshold {_options.MultiThreshold}%";
            }

            // Prefer not starting an instance over stopping one; one victim at a time per app.
            var blocker = app.Slots.Find(s => s.State is ClassicSlotState.Start or ClassicSlotState.Victim);
            if (blocker?.State == ClassicSlotState.Start)
            {
                if (blocker.Issued)
                {
                    decisions.Add(new CancelPendingStart(app.AppId,
                        $"{measure}; {trigger}; cancelling the pending start instead of retiring an instance"));
                }

                blocker.Unschedule();
                app.LastNote = $"{measure}: pending start cancelled";
                continue;
            }

            if (blocker is not null)
            {
                app.LastNote = $"{measure}, but instance {blocker.InstanceId} is still retiring: no further retirement";
                continue;
            }

            ClassicSlot? youngest = null;
            foreach (var slot in app.Slots)
            {
                if (slot.State == ClassicSlotState.Running
                    && (youngest is null || (slot.StartTime ?? default) >= (youngest.StartTime ?? default)))
                {
                    youngest = slot;
                }
            }

            if (youngest?.InstanceId is { } victim)
            {
                youngest.State = ClassicSlotState.Victim;
                victims++;
                decisions.Add(new RetireInstance(app.AppId, victim,
                    $"{measure}; {trigger}; retiring the youngest instance {victim}, started {ReasonFormat.Time(youngest.StartTime ?? default)}"));
                app.LastNote = $"{measure}: retired instance {victim}";
            }

            // Checked after the kill and against the global total, as mod_fastcgi does.
            if (total - victims <= _options.MinProcesses)
            {
                break;
            }
        }
    }

    private static int LoadFactor(ClassicApp app, int running, long elapsedUs)
    {
        var connTime = app.SmoothConnTimeUs != 0 ? app.SmoothConnTimeUs : app.TotalConnTimeUs;
        var totalTime = (running * elapsedUs) + 1;
        return (int)Math.Min(int.MaxValue, 100 * connTime / totalTime);
    }

    private double ScaledLoad(int running, int loadFactor)
    {
        if (_options.ReproduceIntegerDivision)
        {
            return running / (running - 1) * loadFactor;
        }

        return running == 0 ? 0 : (double)running / (running - 1) * loadFactor;
    }

    // The main loop's start pass: backoff bookkeeping for every START slot, then at most one outstanding start.
    private void IssueStart(ClassicApp app, DateTimeOffset now, List<Decision> decisions)
    {
        ClassicSlot? first = null;
        ClassicSlot? issued = null;
        var firstDue = now;
        var issuedDue = now;
        foreach (var slot in app.Slots)
        {
            if (slot.State != ClassicSlotState.Start)
            {
                continue;
            }

            var due = Due(app, slot, now);
            if (first is null)
            {
                first = slot;
                firstDue = due;
            }

            if (slot.Issued)
            {
                issued = slot;
                issuedDue = due;
            }
        }

        if (issued is not null)
        {
            if (issuedDue == issued.IssuedDue && issued.IssuedWithBackoff == app.Bad)
            {
                return;
            }

            decisions.Add(new CancelPendingStart(app.AppId,
                $"the pending start is re-timed from {ReasonFormat.Time(issued.IssuedDue)} to {ReasonFormat.Time(issuedDue)}"
                + (app.Bad ? " by the failed-start backoff" : " because the backoff ended")));
            issued.Issued = false;
            first = issued;
            firstDue = issuedDue;
        }

        if (first is null)
        {
            return;
        }

        var reason = first.StartReason;
        if (app.Bad)
        {
            reason += $"; {app.NumFailures} exits without a request to stop (more than maxFailedStarts {_options.MaxFailedStarts})"
                + $" and nothing has lived minServerLife {DurationFormat.Seconds(_options.MinServerLife)}:"
                + $" starting one instance failedStartsDelay {DurationFormat.Seconds(_options.FailedStartsDelay)} after the last start";
        }
        else if (firstDue > now)
        {
            var (name, delay) = first.HasRun
                ? ("restartDelay", _options.RestartDelay)
                : ("initStartDelay", _options.InitStartDelay);
            reason += $"; starting one instance {name} {DurationFormat.Seconds(delay)} after the last start";
        }
        else
        {
            reason += "; starting one instance";
        }

        first.Issued = true;
        first.IssuedDue = firstDue;
        first.IssuedWithBackoff = app.Bad;
        decisions.Add(new SpawnInstances(app.AppId, 1, firstDue > now ? firstDue : null, reason));
    }

    private DateTimeOffset Due(ClassicApp app, ClassicSlot slot, DateTimeOffset now)
    {
        if (app.Bad)
        {
            slot.StartTime = null; // while backed off only a sibling's age can end the backoff
        }

        if (app.NumFailures > _options.MaxFailedStarts)
        {
            if (slot.StartTime is { } last && now - last > _options.MinServerLife)
            {
                app.Bad = false;
                app.NumFailures = 0;
            }
            else if (app.Slots.Exists(s => s.State == ClassicSlotState.Running && s.StartTime is { } t
                         && now - t > _options.MinServerLife))
            {
                app.Bad = false;
                app.NumFailures = 0;
            }
            else
            {
                app.Bad = true;
            }
        }

        if (app.RestartTime is not { } restartTime)
        {
            return now;
        }

        var delay = app.Bad ? _options.FailedStartsDelay
            : slot.HasRun ? _options.RestartDelay
            : _options.InitStartDelay;
        return restartTime + delay;
    }

    private IReadOnlyList<AppLoad> Loads(IReadOnlyList<AppView> views)
    {
        var loads = new List<AppLoad>(views.Count);
        foreach (var view in views)
        {
            if (!_byId.TryGetValue(view.AppId, out var app))
            {
                loads.Add(new AppLoad(view.AppId, new Dictionary<string, double>
                {
                    ["connTime"] = 0, ["smoothConnTime"] = 0, ["loadFactor"] = 0, ["running"] = 0,
                    ["retiring"] = 0, ["pendingStart"] = 0, ["failures"] = 0, ["backedOff"] = 0, [AppLoad.MaxReached] = 0,
                }, "no request seen yet"));
                continue;
            }

            var running = app.Running;
            // The load factor is defined over the interval the kill policy measures; show its latest verdict.
            var loadFactor = app.LastLoadFactor ?? 0;
            var pending = app.Slots.Exists(s => s.State == ClassicSlotState.Start);
            var figures = new Dictionary<string, double>
            {
                ["connTime"] = app.TotalConnTimeUs / 1e6,
                ["smoothConnTime"] = app.SmoothConnTimeUs / 1e6,
                ["loadFactor"] = loadFactor,
                ["running"] = running,
                ["retiring"] = app.Victims,
                ["pendingStart"] = pending ? 1 : 0,
                ["failures"] = app.NumFailures,
                ["backedOff"] = app.Bad ? 1 : 0,
                [AppLoad.MaxReached] = app.MaxReached.Count,
            };
            var summary = $"{running} running, {app.Victims} retiring{(pending ? ", 1 start pending" : string.Empty)};"
                + $" load factor {loadFactor}% at the last kill check (conn time {ReasonFormat.Number(app.TotalConnTimeUs / 1e6)} s this interval,"
                + $" smoothed {ReasonFormat.Number(app.SmoothConnTimeUs / 1e6)} s)"
                + (app.NumFailures > 0 ? $"; {app.NumFailures} failed exits{(app.Bad ? ", backed off" : string.Empty)}" : string.Empty)
                + (app.LastNote is null ? string.Empty : "; " + app.LastNote);
            loads.Add(new AppLoad(view.AppId, figures, summary));
        }

        return loads;
    }

    private void Prune(IReadOnlyList<AppView> views)
    {
        for (var i = _apps.Count - 1; i >= 0; i--)
        {
            var app = _apps[i];
            if (app.Processes > 0 || app.Slots.Exists(s => s.State == ClassicSlotState.Start))
            {
                continue;
            }

            var listed = false;
            foreach (var view in views)
            {
                if (view.AppId == app.AppId)
                {
                    listed = true;
                    break;
                }
            }

            if (!listed)
            {
                _apps.RemoveAt(i);
                _byId.Remove(app.AppId);
            }
        }
    }

    private ClassicApp GetOrCreate(string appId)
    {
        if (!_byId.TryGetValue(appId, out var app))
        {
            app = new ClassicApp(appId, _options.MaxClassProcesses);
            _apps.Add(app);
            _byId.Add(appId, app);
        }

        return app;
    }

    private static ClassicSlot FreeSlot(ClassicApp app)
    {
        var slot = app.Slots.Find(s => s.State is ClassicSlotState.Ready or ClassicSlotState.Killed);
        if (slot is null)
        {
            slot = new ClassicSlot(app.Slots.Count);
            app.Slots.Add(slot);
        }

        return slot;
    }

    private static InstanceView? Find(IReadOnlyList<InstanceView> instances, long id)
    {
        foreach (var instance in instances)
        {
            if (instance.InstanceId == id)
            {
                return instance;
            }
        }

        return null;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
