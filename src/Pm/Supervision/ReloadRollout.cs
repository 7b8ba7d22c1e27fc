using Microsoft.Extensions.Logging;

namespace Pm.Supervision;

/// <summary>
/// Carries out a <see cref="ReloadPlan"/> on the supervisor loop, so that no request is lost: added apps start;
/// changed apps take their new settings and, where their instances run differently, are rolled over one instance at
/// a time, new one first (<see cref="InstanceRecycling.Roll"/>); -processes changes add slots or retire the last
/// ones; the web processes are rolled the same way, their HTTP socket staying open throughout; and only once the
/// new web processes serve (and no longer route to them) are removed apps drained and stopped, their sockets closed.
/// Untouched apps and their instances are left alone. <see cref="Done"/> completes when all of it has happened.
/// </summary>
public sealed class ReloadRollout
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    private readonly ReloadPlan _plan;
    private readonly List<StaticApp> _apps;
    private readonly StaticAppSupervision _static;
    private readonly InstanceRecycling _recycling;
    private readonly InstanceLifecycle _lifecycle;
    private readonly ILogger _log;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<StaticApp> _removing = [];
    private bool _removalsBegun;

    public ReloadRollout(ReloadPlan plan, List<StaticApp> apps, StaticAppSupervision statics, InstanceRecycling recycling,
        InstanceLifecycle lifecycle, ILogger log)
    {
        _plan = plan;
        _apps = apps;
        _static = statics;
        _recycling = recycling;
        _lifecycle = lifecycle;
        _log = log;
    }

    public Task Done => _done.Task;

    /// <summary>Everything that can begin at once: new apps, new settings, rolls, the web processes' roll.</summary>
    public void Begin()
    {
        foreach (var app in _plan.Added)
        {
            _apps.Insert(WebIndex(), app);
            _static.StartSlots(app, app.ActiveSlots.ToList(), "added by a reload", ReasonKind.Start);
        }

        foreach (var update in _plan.Changed)
        {
            if (Find(update.Name) is not { } app)
            {
                continue;
            }

            app.Spec = update.Spec;
            app.Limits = update.Limits;
            app.RequestsTimed = update.RequestsTimed;
            app.Restart = update.Restart;
            Resize(app, update.Processes, "a reload");
            if (update.Roll)
            {
                _recycling.Roll(app, "reload: " + update.What, ReasonKind.Reload);
            }
        }

        if (_apps.FirstOrDefault(a => a.Kind == "web") is { } web)
        {
            if (_plan.WebProcesses is { } n)
            {
                Resize(web, n, "a reload");
            }

            if (_plan.RollWeb)
            {
                _recycling.Roll(web, "reload: the web processes read the new config", ReasonKind.Reload);
            }
        }

        Tick();
    }

    /// <summary>Every <see cref="TickInterval"/> while not done: removals once the web processes are rolled, then the end.</summary>
    /// <returns>Whether the rollout still has work (another tick is wanted).</returns>
    public bool Tick()
    {
        var web = _apps.FirstOrDefault(a => a.Kind == "web");
        if (!_removalsBegun && (web is null || !_recycling.IsRolling(web)))
        {
            _removalsBegun = true;
            foreach (var name in _plan.Removed)
            {
                if (_apps.FirstOrDefault(a => a.Name == name && !a.Removed && !_plan.Added.Contains(a)) is not { } app)
                {
                    continue;
                }

                app.Removed = true;
                foreach (var slot in app.Slots)
                {
                    slot.CancelStart();
                }

                _log.LogInformation("app {App}: removed by a reload: its {Count} instance(s) drain and stop", app.Name, app.Instances.Count);
                foreach (var instance in app.Instances.ToList())
                {
                    _lifecycle.Retire(instance, app.Limits.KillGrace, "its app was removed by a reload", ReasonKind.Reload, InstanceRecycling.RetireDrain);
                }

                _removing.Add(app);
            }
        }

        foreach (var app in _removing.ToList())
        {
            if (app.Instances.Count == 0)
            {
                _removing.Remove(app);
                _apps.Remove(app);
                app.Socket.Dispose();
                _log.LogInformation("app {App}: gone: every instance stopped, socket {Socket} closed", app.Name, app.Socket.Address);
            }
        }

        var rolling = _apps.Any(_recycling.IsRolling) || _apps.Any(a => a.Instances.Any(i => i.BeingRecycled));
        if (_removalsBegun && _removing.Count == 0 && !rolling)
        {
            _done.TrySetResult();
            return false;
        }

        return true;
    }

    /// <summary>Shutdown began: the rollout ends where it is (the shutdown stops everything).</summary>
    public void Abandon() => _done.TrySetResult();

    private void Resize(StaticApp app, int processes, string why)
    {
        var start = app.Resize(processes);
        if (start.Count > 0)
        {
            _static.StartSlots(app, start, $"-processes raised to {processes} by {why}", ReasonKind.Start);
        }

        foreach (var slot in app.Slots.Where(s => s.Retired && s.Current is { State: InstancePhase.Running }))
        {
            _lifecycle.Retire(slot.Current!, app.Limits.KillGrace, $"-processes lowered to {processes} by {why}", ReasonKind.Reload, InstanceRecycling.RetireDrain);
        }
    }

    private StaticApp? Find(string name) => _apps.FirstOrDefault(a => a.Name == name && !a.Removed && a.Kind != "web");

    /// <summary>Apps are kept before the web processes, as the PM started them.</summary>
    private int WebIndex()
    {
        var web = _apps.FindIndex(a => a.Kind == "web");
        return web < 0 ? _apps.Count : web;
    }
}
