using Microsoft.Extensions.Logging;
using Pm.Protocol.Queue;
using Pm.Shared;

namespace Pm.Supervision;

/// <summary>
/// The limits on instances, as the PM enforces them (issue 8): an instance not ready by -spawn-timeout, one that
/// is neither waiting for work nor holding a request for -stuck-timeout, and the one holding a request a web process
/// reports past -request-timeout ('X') are killed; one holding a request past -slow-log ('L') is only diagnosed.
/// Every kill goes through <see cref="InstanceLifecycle.Stop"/> with a diagnosis first. Runs on the supervisor loop.
/// <para>
/// A health round every second refreshes what the kernel says (who is ready, who holds a request), judges stuck
/// instances, and keeps, for apps whose requests are timed, the CPU time of each idle instance's group: a later
/// diagnosis reports the CPU used since the instance was last seen idle, so at most a round before its request began.
/// Stuck is judged only where who holds a request can be seen (Unix sockets): a TCP app busy in a long request would
/// otherwise look stuck, and nothing a user did not ask for is killed.
/// </para>
/// </summary>
public sealed class InstanceHealth
{
    public static readonly TimeSpan RoundInterval = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<StaticApp> _apps;
    private readonly IDynamicApps _dynamic;
    private readonly InstanceLifecycle _lifecycle;
    private readonly StaticAppSupervision _static;
    private readonly EventTimers _timers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly LoopGuard _loop;
    private ITimer? _round;
    private bool _stopped;

    public InstanceHealth(IReadOnlyList<StaticApp> apps, IDynamicApps dynamic, InstanceLifecycle lifecycle, StaticAppSupervision statics,
        EventTimers timers, TimeProvider time, ILogger log, LoopGuard loop)
    {
        _apps = apps;
        _dynamic = dynamic;
        _lifecycle = lifecycle;
        _static = statics;
        _timers = timers;
        _time = time;
        _log = log;
        _loop = loop;
    }

    public void Start() => _round = _timers.After(RoundInterval, new SupervisorEvent.HealthRoundDue());

    /// <summary>Shutdown: no more rounds, no more kills for limits.</summary>
    public void Stop()
    {
        _stopped = true;
        _round?.Dispose();
    }

    /// <summary>-spawn-timeout after the start: not ready yet (asked of the kernel once more) means killed, a failed start.</summary>
    public void OnSpawnTimeoutDue(Instance instance)
    {
        _loop.AssertOnLoop();
        instance.SpawnTimer = null;
        if (_stopped || instance.State != InstancePhase.Running || instance.Ready)
        {
            return;
        }

        ConnectionProbe.Refresh([instance.App], _time.GetUtcNow());
        if (instance.Ready)
        {
            return;
        }

        var limits = instance.App.Limits;
        instance.FailedStart = true;
        instance.ReplaceAfterStop = true;
        _lifecycle.Stop(instance, limits.KillGrace,
            $"-spawn-timeout {Seconds(limits.SpawnTimeout)}: not waiting for work on fd 0 {Seconds(_time.GetUtcNow() - instance.StartedAt)} after its start",
            ReasonKind.SpawnTimeout, diagnose: new InstanceLifecycle.Diagnose(null));
    }

    public void OnRound()
    {
        _loop.AssertOnLoop();
        if (_stopped)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var apps = new List<SupervisedApp>(_apps);
        apps.AddRange(_dynamic.Apps);
        ConnectionProbe.Refresh(apps, now);
        foreach (var app in apps)
        {
            // The chart's figures, from the probe just taken: no sampling of its own.
            app.History.Observe(now, app.Instances.Count(i => i.State == InstancePhase.Running), app.Instances.Count(i => i.HoldsRequest), app.QueuedConnections);
        }

        List<Instance>? idleTimed = null;
        List<Instance>? stuck = null;
        foreach (var app in apps)
        {
            if (!ConnectionProbe.CanSeeRequests(app))
            {
                continue;
            }

            foreach (var instance in app.Instances)
            {
                if (instance.State != InstancePhase.Running || !instance.Ready || instance.Diagnosing)
                {
                    continue;
                }

                if (instance.HoldsRequest)
                {
                    instance.NeitherSince = null;
                    continue;
                }

                if (ConnectionProbe.IsWaitingForWork(instance.Pid))
                {
                    instance.NeitherSince = null;
                    if (app.RequestsTimed)
                    {
                        (idleTimed ??= []).Add(instance);
                    }

                    continue;
                }

                instance.NeitherSince ??= now;
                if (now - instance.NeitherSince.Value >= app.Limits.StuckTimeout)
                {
                    (stuck ??= []).Add(instance);
                }
            }
        }

        if (idleTimed is not null)
        {
            var cpu = _lifecycle.CpuOfGroups(idleTimed.Select(i => i.ProcessGroup).ToHashSet());
            foreach (var instance in idleTimed)
            {
                if (cpu.TryGetValue(instance.ProcessGroup, out var times))
                {
                    instance.CpuWhenIdle = times;
                    instance.CpuWhenIdleAt = now;
                }
            }
        }

        foreach (var instance in stuck ?? [])
        {
            KillStuck(instance, now);
        }

        _round = _timers.After(RoundInterval, new SupervisorEvent.HealthRoundDue());
    }

    /// <summary>Stuck: the replacement first (a static app's in its slot, a dynamic app's as one more instance), then the stuck one is diagnosed and killed.</summary>
    private void KillStuck(Instance instance, DateTimeOffset now)
    {
        var limits = instance.App.Limits;
        var reason = $"-stuck-timeout {Seconds(limits.StuckTimeout)}: neither waiting for work nor holding a request for {Seconds(now - instance.NeitherSince!.Value)}";
        if (instance.App is StaticApp)
        {
            _static.StartReplacement(instance, $"replacing stuck pid {instance.Pid}", ReasonKind.Stuck);
        }
        else
        {
            // A dynamic app's: one more instance of the app, which its policy then scales like any other.
            _lifecycle.Start(instance.App, -1, $"replacing stuck pid {instance.Pid}", ReasonKind.Stuck, out _);
        }

        _lifecycle.Stop(instance, limits.KillGrace, reason, ReasonKind.Stuck, diagnose: new InstanceLifecycle.Diagnose(null));
    }

    /// <summary>A web process's 'L' or 'X' record: find, from the kernel, the instance holding that connection.</summary>
    public void OnOverdueRequest(QueueRecord record)
    {
        _loop.AssertOnLoop();
        if (_stopped)
        {
            return;
        }

        var timedOut = record.Kind == QueueRecordKind.RequestTimedOut;
        var limit = timedOut ? "-request-timeout" : "-slow-log";
        SupervisedApp? app = null;
        foreach (var a in _apps)
        {
            if (a.Name == record.Path)
            {
                app = a;
                break;
            }
        }

        app ??= _dynamic.Find(record.Path);
        if (app is null)
        {
            _log.LogWarning("a web process reports a request past {Limit} on {Path}, which is no app the PM runs; ignored", limit, record.Path);
            return;
        }

        if (!timedOut)
        {
            app.SlowRequests++; // one 'L' record per request past -slow-log, whether or not its instance is found
        }

        if (ConnectionProbe.HolderOf(app, record.ClientSocketInode) is not var (instance, holder))
        {
            _log.LogInformation("app {App}: a request ran {Elapsed} (past {Limit}) but no instance holds its connection any more (it ended the request, or exited)",
                app.Name, Seconds(record.Elapsed), limit);
            return;
        }

        var who = holder == instance.Pid ? "" : $" (in its process {holder})";
        if (!timedOut)
        {
            _lifecycle.DiagnoseOnly(instance, $"-slow-log: a request has run {Seconds(record.Elapsed)}{who}; left running", record.Elapsed);
            return;
        }

        instance.ReplaceAfterStop = true;
        _lifecycle.Stop(instance, app.Limits.KillGrace, $"-request-timeout: a request ran {Seconds(record.Elapsed)}{who}; the client got a 504",
            ReasonKind.RequestTimeout, diagnose: new InstanceLifecycle.Diagnose(record.Elapsed));
    }

    private static string Seconds(TimeSpan t) => DurationFormat.Seconds(t, decimals: 1);
}
