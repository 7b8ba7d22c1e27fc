using Microsoft.Extensions.Logging;
using Pm.Policy.Restart;
using Pm.Posix;

namespace Pm.Supervision;

/// <summary>
/// Keeps every static app's -processes instances running: the FastCgiServer apps and the web processes. Runs on the
/// supervisor loop only.
/// <para>
/// An exit is noticed through the instance's pidfd at once, and <see cref="RestartBackoff"/> (pure) says when its slot
/// starts again, so a crash-looping app delays only its own slots. An instance started while its app has failures in
/// a row gets a healthy timer: if it stays up for min-server-life, the count resets. A start that fails (the
/// executable cannot be spawned) counts as an instance that died at once. Spawning is the
/// <see cref="IInstanceStarter"/>'s; this only decides and schedules.
/// </para>
/// </summary>
public sealed class StaticAppSupervision
{
    private readonly IReadOnlyList<StaticApp> _apps;
    private readonly IInstanceStarter _instances;
    private readonly EventTimers _timers;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly LoopGuard _loop;
    private bool _stopped;

    public StaticAppSupervision(IReadOnlyList<StaticApp> apps, IInstanceStarter instances, EventTimers timers,
        TimeProvider time, Random random, ILogger log, LoopGuard loop)
    {
        _apps = apps;
        _instances = instances;
        _timers = timers;
        _time = time;
        _random = random;
        _log = log;
        _loop = loop;
    }

    public IReadOnlyList<StaticApp> Apps => _apps;

    /// <summary>Starts an instance in every slot of every app (the PM started).</summary>
    public void StartAll()
    {
        _loop.AssertOnLoop();
        foreach (var app in _apps)
        {
            StartSlots(app, app.ActiveSlots.ToList(), "the PM started", ReasonKind.Start);
        }
    }

    /// <summary>Starts an instance in each of the slots (an app a reload added, or slots a higher -processes brought).</summary>
    public void StartSlots(StaticApp app, IReadOnlyList<AppSlot> slots, string reason, string kind)
    {
        _loop.AssertOnLoop();
        if (_stopped)
        {
            return;
        }

        foreach (var slot in slots)
        {
            StartInSlot(app, slot, reason, kind);
        }
    }

    /// <summary>A slot's scheduled start is due: starts it, unless it has an instance or restarts have stopped.</summary>
    public void OnSlotStartDue(StaticApp app, AppSlot slot)
    {
        _loop.AssertOnLoop();
        slot.StartTimer = null;
        slot.StartAt = null;
        if (!_stopped && slot.Current is null && !slot.Retired && !app.Removed)
        {
            StartInSlot(app, slot, "its scheduled restart is due", ReasonKind.Restart);
        }
    }

    /// <summary>
    /// The restart path, kept short: decide, spawn the replacement, and only then report the exit (its log line, the
    /// old group's leftovers). A healthy app's replacement is accepting within a few milliseconds.
    /// </summary>
    /// <returns>
    /// Whether the instance was a static app's that nobody stopped: its restart is then scheduled and its exit
    /// reported. Otherwise (another kind of app, or a stopped instance) the caller reports the exit.
    /// </returns>
    public bool OnInstanceExited(Instance instance, WaitStatus? status)
    {
        _loop.AssertOnLoop();
        if (instance.App is not StaticApp app)
        {
            return false;
        }

        var slot = app.Slots[instance.Slot];
        if (ReferenceEquals(slot.Current, instance))
        {
            slot.Current = null;
        }

        // Stopped on purpose: retired, or replaced already (a stuck or recycled one's replacement starts first). A
        // kill for a limit (spawn, request) leaves its slot to restart here, as the backoff says. One that ended on
        // its own after its replacement took the slot leaves nothing to restart either.
        if ((instance.StopReason is not null && (!instance.ReplaceAfterStop || _stopped)) || slot.Current is not null || slot.Retired || app.Removed)
        {
            return false;
        }

        var how = status?.ToString() ?? "exit status unknown";
        if (instance.StopReason is { } why)
        {
            how = $"{how} (killed: {why})";
        }

        ScheduleRestart(app, slot, new InstanceEnd(instance.StartedAt, instance.ExitedAt!.Value, status is { Clean: true }, how,
            NeverReady: instance.FailedStart, KilledForLimit: instance.ReplaceAfterStop && !instance.FailedStart), () => _instances.ReportExit(instance));
        return true;
    }

    /// <summary>
    /// A stuck or recycled instance's replacement starts in its slot before it goes ("new one first"); the old one
    /// runs on outside its slot until it is stopped. Returns the replacement (null if it could not start: its slot
    /// then restarts as the backoff says).
    /// </summary>
    public Instance? StartReplacement(Instance old, string reason, string kind)
    {
        _loop.AssertOnLoop();
        if (_stopped || old.App is not StaticApp app || old.Slot < 0 || app.Removed || app.Slots[old.Slot].Retired)
        {
            return null;
        }

        var slot = app.Slots[old.Slot];
        if (slot.Current is { } current && !ReferenceEquals(current, old))
        {
            return current; // replaced already
        }

        slot.CancelStart();
        StartInSlot(app, slot, reason, kind);
        return ReplacementOf(old);
    }

    /// <summary>The instance in the old one's slot now, if another one: its replacement.</summary>
    public static Instance? ReplacementOf(Instance old) =>
        old.App is StaticApp app && old.Slot >= 0 && app.Slots[old.Slot].Current is { } current && !ReferenceEquals(current, old) ? current : null;

    /// <summary>An instance's healthy timer fired: if it still runs, its app's failures in a row are forgiven.</summary>
    public void OnInstanceHealthy(Instance instance)
    {
        _loop.AssertOnLoop();
        if (instance.State != InstancePhase.Running || instance.App is not StaticApp { ConsecutiveFailures: > 0 } app)
        {
            return;
        }

        if (!instance.Ready)
        {
            // Up, but not yet waiting for work (it may be killed at -spawn-timeout): no recovery until it is.
            instance.HealthyTimer = _timers.After(TimeSpan.FromSeconds(1), new SupervisorEvent.InstanceHealthy(instance));
            return;
        }

        _log.LogInformation("app {App}: pid {Pid} has stayed up for min-server-life ({Life:0.###} s): recovered after {Failures} failures in a row",
            app.Name, instance.Pid, app.Restart.MinServerLife.TotalSeconds, app.ConsecutiveFailures);
        app.ConsecutiveFailures = 0;
        app.LastDecision = $"recovered: pid {instance.Pid} stayed up for min-server-life";
    }

    /// <summary>Shutdown: cancels every scheduled start; no slot starts again.</summary>
    public void StopRestarting()
    {
        _loop.AssertOnLoop();
        _stopped = true;
        foreach (var app in _apps)
        {
            foreach (var slot in app.Slots)
            {
                slot.CancelStart();
            }
        }
    }

    private void StartInSlot(StaticApp app, AppSlot slot, string reason, string kind) => StartInSlot(app, slot, reason, kind, beforeLogging: null);

    /// <summary>Starts an instance in the slot; <paramref name="beforeLogging"/> runs after the spawn, before its log line.</summary>
    private void StartInSlot(StaticApp app, AppSlot slot, string reason, string kind, Action? beforeLogging)
    {
        var now = _time.GetUtcNow();
        slot.LastStart = now;
        var instance = _instances.StartQuietly(app, slot.Index, out var error);
        beforeLogging?.Invoke();
        if (instance is null)
        {
            ScheduleRestart(app, slot, new InstanceEnd(now, now, ExitedCleanly: false, $"start failed ({error})"), null);
            return;
        }

        _instances.LogStarted(instance, reason, kind);
        slot.Current = instance;
        if (app.ConsecutiveFailures > 0)
        {
            // Failures reset once an instance stays up for min-server-life.
            instance.HealthyTimer = _timers.After(app.Restart.MinServerLife, new SupervisorEvent.InstanceHealthy(instance));
        }
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
            StartInSlot(app, slot, app.LastExit is { } last ? $"replacing pid {last.Pid}" : "restart", ReasonKind.Restart, Report);
            return;
        }

        Report();
        slot.CancelStart();
        slot.StartAt = decision.StartAt;
        slot.StartTimer = _timers.After(decision.StartAt - now, new SupervisorEvent.SlotStartDue(app, slot));
    }
}
