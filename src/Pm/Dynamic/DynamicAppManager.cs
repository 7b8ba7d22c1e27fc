using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Engine;
using Pm.Policy;
using Pm.Posix;
using Pm.Status;
using Pm.Supervision;

namespace Pm.Dynamic;

/// <summary>
/// Dynamic apps on the PM's side: the <see cref="ScalingEngine"/> (which the simulator runs too) over the PM's
/// <see cref="DynamicInstancePool"/>, one policy group per PmDynamicRoot, its timers on the supervisor loop. This
/// class only connects them: records and exits in, decisions logged with the policy's reason, status out.
/// Runs on the supervisor loop only.
/// </summary>
public sealed class DynamicAppManager : IDynamicApps
{
    private readonly DynamicInstancePool _pool;
    private readonly ScalingEngine _engine;
    private readonly ILogger _log;

    public DynamicAppManager(PmConfig config, InstanceLifecycle lifecycle, TimeProvider loopTime, Random random, ILogger log)
    {
        _log = log;
        _pool = new DynamicInstancePool(config, lifecycle, loopTime, log);
        var groups = new List<PolicyGroup>();
        foreach (var root in config.DynamicRoots)
        {
            groups.Add(new PolicyGroup(DynamicInstancePool.GroupName(root), PolicyCatalog.Create(root.Policy, random)));
            if (root.IgnoredPolicyParameters.Count > 0)
            {
                _log.LogInformation("dynamic root {Url} ({Dir}): mod_fastcgi options {Ignored} do not apply to policy '{Policy}' and are ignored",
                    root.UrlPrefix, root.Directory, string.Join(", ", root.IgnoredPolicyParameters.Select(p => "-" + p)), root.Policy.Name);
            }
        }

        _engine = new ScalingEngine(_pool, groups, loopTime);
        _engine.Applied += LogDecision;
        _engine.PolicyFailed += (group, ex) =>
            _log.LogError(ex, "policy {Policy} of root {Root} failed; its apps keep their instances", group.Policy.Name, group.Name);
    }

    public IReadOnlyCollection<OnDemandApp> Apps => _pool.Apps;

    IEnumerable<SupervisedApp> IDynamicApps.Apps => _pool.Apps;

    public SupervisedApp? Find(string path) => _pool.Find(path);

    public int TotalInstances => _pool.TotalInstances;

    public void OnDemand(IReadOnlyList<(string Path, PolicyEvent Event)> batch) => _engine.OnDemand(batch);

    public void OnInstanceExited(Instance instance, WaitStatus? status)
    {
        if (instance.App is not OnDemandApp app)
        {
            return;
        }

        var now = instance.ExitedAt!.Value; // set when it was reaped, just before
        _engine.OnInstanceExited(new InstanceExited(app.Name, now, instance.Id,
            status is { Exited: true } s ? s.ExitCode : null,
            status is { Signaled: true } k ? k.TermSignal : null,
            // A kill at -spawn-timeout is a failed start, for the policy's backoff as for a static app's; other stops are retirements.
            instance.StopReason is not null && !instance.FailedStart, now - instance.StartedAt));
    }

    public void Stop() => _engine.Stop();

    public void ReleaseAll() => _pool.ReleaseAll();

    private void LogDecision(AppliedDecision applied)
    {
        var decision = applied.Decision;
        var app = _pool.Find(decision.AppId);
        if (app is not null)
        {
            app.LastDecision = $"{applied.Policy}: {decision.Reason}";
            var kind = decision switch
            {
                SpawnInstances when applied.Pending => "spawn_pending",
                SpawnInstances => "spawn",
                RetireInstance => "retire",
                CancelPendingStart => "cancel_pending",
                _ => "other",
            };
            SupervisedApp.Count(app.Decisions, kind);
        }

        switch (decision)
        {
            case SpawnInstances spawn when applied.Pending:
                _log.LogInformation("app {App}: policy {Policy}: {Count} start(s) pending until {At:HH:mm:ss.fff}: {Reason}",
                    decision.AppId, applied.Policy, spawn.Count, spawn.NotBefore!.Value.ToLocalTime(), decision.Reason);
                break;
            case SpawnInstances spawn:
                _log.LogInformation("app {App}: policy {Policy}: starting {Count}: {Reason}", decision.AppId, applied.Policy, spawn.Count, decision.Reason);
                break;
            case RetireInstance retire when app?.Instances.FirstOrDefault(i => i.Id == retire.InstanceId) is { State: InstancePhase.Running } victim:
                _log.LogInformation("app {App}: policy {Policy}: retiring pid {Pid}: {Reason}", decision.AppId, applied.Policy, victim.Pid, decision.Reason);
                break;
            case CancelPendingStart:
                _log.LogInformation("app {App}: policy {Policy}: cancelling {Count} pending start(s): {Reason}", decision.AppId, applied.Policy, applied.Count, decision.Reason);
                break;
        }
    }

    public IEnumerable<AppStatus> Status(DateTimeOffset now)
    {
        foreach (var app in _pool.Apps.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            var scaled = _engine.Find(app.Name);
            var figures = scaled?.Load?.Figures.ToDictionary(kv => kv.Key, kv => kv.Value) ?? [];
            figures["queuedConnections"] = app.QueuedConnections;
            var pending = scaled?.PendingCount ?? 0;
            yield return new AppStatus(app.Name, app.Kind, app.Socket.Address.ToString(), app.Script.ScriptName,
                app.Instances.Count + pending, app.Restarts, 0, scaled?.NextPendingStart,
                app.LastDecision, app.LastExit is { } e ? new ExitStatusReport(e.Pid, e.At, e.How, e.Lifetime.TotalSeconds) : null,
                scaled is { RequestsCompleted: > 0 and var completed } ? completed : null,
                app.Instances.Select(StatusBuilder.Instance).ToList(),
                figures, scaled?.Group.Policy.Name, scaled?.Load?.Summary, StatusBuilder.Kill(app.LastKill))
            {
                History = app.History.Report(now),
                MaxInstancesReached = figures.TryGetValue(AppLoad.MaxReached, out var reached) ? (long)reached : 0,
            };
        }
    }
}
