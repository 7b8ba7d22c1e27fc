using Microsoft.Extensions.Logging;

namespace Pm.Supervision;

/// <summary>
/// Recycles instances that have served -max-requests (with their jitter) or whose private memory passed
/// -memory-limit, replacement first (issue 9). Runs on the supervisor loop.
/// <para>
/// A recycling starts the instance's replacement in its slot while the old one still serves; only once the
/// replacement waits for work is the old one retired through <see cref="InstanceLifecycle.Retire"/>: it takes no
/// new request, finishes what it holds, and gets its SIGTERM only when a frozen look shows it holds nothing. For
/// -max-requests the replacement starts a little before the limit (a tenth of it, at most 100 requests), and the old
/// one serves up to its limit, where libpm-shim.so stops it taking more; one whose load stopped short of its limit
/// is retired once it has been idle for <see cref="IdleBeforeLimit"/> with its replacement ready.
/// </para>
/// <para>
/// Request counts are read from the instances' shared pages every <see cref="CountInterval"/> (a memory read, no
/// syscall); memory is sampled off the loop every -memory-check-interval (smaps_rollup of every process of every
/// group), for `pm status` as well as for the limit. A dynamic app's instance has no slot: its replacement is one
/// more instance of the app, which its policy then scales like any other.
/// </para>
/// </summary>
public sealed class InstanceRecycling
{
    public static readonly TimeSpan CountInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an instance short of its -max-requests must be idle, with its replacement ready, before it is retired anyway.</summary>
    public static readonly TimeSpan IdleBeforeLimit = TimeSpan.FromSeconds(2);

    /// <summary>How long a retiring instance may take to finish the request it holds before it is stopped anyway.</summary>
    public static readonly TimeSpan RetireDrain = TimeSpan.FromSeconds(60);

    private readonly IReadOnlyList<StaticApp> _apps;
    private readonly IDynamicApps _dynamic;
    private readonly InstanceLifecycle _lifecycle;
    private readonly StaticAppSupervision _static;
    private readonly EventTimers _timers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly LoopGuard _loop;
    private readonly TimeSpan _memoryInterval;
    private readonly bool _countsMatter;
    private ITimer? _countRound;
    private ITimer? _memoryRound;
    private readonly Dictionary<StaticApp, (Queue<Instance> Left, string Reason, string Kind)> _rolls = [];
    private bool _sampling;
    private bool _stopped;

    /// <param name="limits">Every limit an app may have (static apps', FastCgiConfig's, the roots'): the rounds run as often as the strictest needs.</param>
    public InstanceRecycling(IReadOnlyList<StaticApp> apps, IDynamicApps dynamic, InstanceLifecycle lifecycle, StaticAppSupervision statics,
        IEnumerable<Config.RecycleLimits> limits, EventTimers timers, TimeProvider time, ILogger log, LoopGuard loop)
    {
        _apps = apps;
        _dynamic = dynamic;
        _lifecycle = lifecycle;
        _static = statics;
        _timers = timers;
        _time = time;
        _log = log;
        _loop = loop;
        var all = limits.ToList();
        _countsMatter = all.Any(l => l.MaxRequests > 0);
        _memoryInterval = all.Count == 0 ? Config.RecycleLimits.None.MemoryCheckInterval : all.Min(l => l.MemoryCheckInterval);
    }

    public void Start()
    {
        _loop.AssertOnLoop();
        // The first sample soon after the start, so that pm status shows memory at once; then every interval.
        _memoryRound = _timers.After(_memoryInterval < FirstSample ? _memoryInterval : FirstSample, new SupervisorEvent.MemoryRoundDue());
        ScheduleCountRound();
    }

    private static readonly TimeSpan FirstSample = TimeSpan.FromSeconds(1);

    public void Stop()
    {
        _stopped = true;
        _countRound?.Dispose();
        _memoryRound?.Dispose();
    }

    /// <summary>
    /// Rolls the app's instances over, one at a time (a reload that changed it, `pm restart APP`): each is recycled,
    /// replacement first, and the next begins once the previous one has been retired. A roll of an app already
    /// rolling starts again from its instances now.
    /// </summary>
    public void Roll(StaticApp app, string reason, string kind)
    {
        _loop.AssertOnLoop();
        var left = new Queue<Instance>(app.Instances.Where(i => i.State == InstancePhase.Running && i.RecycleReason is null &&
            i.Slot >= 0 && !app.Slots[i.Slot].Retired));
        _rolls[app] = (left, reason, kind);
        _log.LogInformation("app {App}: rolling over {Count} instance(s), one at a time, new one first: {Reason}", app.Name, left.Count, reason);
        ScheduleCountRound();
    }

    /// <summary>Whether a roll of the app is under way (instances left, or one being recycled).</summary>
    public bool IsRolling(StaticApp app) => _rolls.ContainsKey(app);

    /// <summary>Request counts against -max-requests, the rolls, and the recyclings under way.</summary>
    public void OnCountRound()
    {
        _loop.AssertOnLoop();
        _countRound = null;
        if (_stopped)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var (app, (left, reason, kind)) in _rolls.ToList())
        {
            if (app.Instances.Any(i => i.BeingRecycled))
            {
                continue; // the one under way first
            }

            Instance? next = null;
            while (left.Count > 0 && next is null)
            {
                var candidate = left.Dequeue();
                next = candidate.State == InstancePhase.Running && candidate.RecycleReason is null ? candidate : null;
            }

            if (next is null)
            {
                _rolls.Remove(app);
                _log.LogInformation("app {App}: rolled over: {Reason}", app.Name, reason);
                continue;
            }

            Begin(next, reason, kind, now);
        }

        foreach (var instance in AllInstances().ToList())
        {
            if (instance.State != InstancePhase.Running)
            {
                continue;
            }

            if (instance.RecycleReason is not null)
            {
                Progress(instance, now);
                continue;
            }

            if (instance.App.Limits.Recycling.MaxRequests > 0 && instance.Ready && instance.Page is not { ShimLoaded: true } && !instance.App.ShimMissingLogged)
            {
                instance.App.ShimMissingLogged = true;
                _log.LogWarning("app {App}: pid {Pid} runs without libpm-shim.so ({Why}): its requests are not counted and -max-requests is not enforced",
                    instance.App.Name, instance.Pid, instance.Page is null ? "no libpm-shim.so beside pm" : "a static binary, or the library is not readable by its user");
            }

            if (instance.RequestLimit > 0 && instance.Page is { ShimLoaded: true } page)
            {
                var taken = page.Accepted;
                var margin = Math.Clamp(instance.RequestLimit / 10, 1, 100);
                if (taken >= instance.RequestLimit - margin)
                {
                    Begin(instance, $"-max-requests: {taken} of its {instance.RequestLimit} requests taken", ReasonKind.MaxRequests, now, atLimit: true);
                }
            }
        }

        ScheduleCountRound();
    }

    /// <summary>Time for a memory sample: taken off the loop (a pass over /proc and every process's smaps_rollup).</summary>
    public void OnMemoryRound()
    {
        _loop.AssertOnLoop();
        _memoryRound = null;
        if (_stopped)
        {
            return;
        }

        if (_sampling)
        {
            _memoryRound = _timers.After(_memoryInterval, new SupervisorEvent.MemoryRoundDue());
            return;
        }

        var groups = AllInstances().Where(i => i.State == InstancePhase.Running).Select(i => i.ProcessGroup).ToHashSet();
        if (groups.Count == 0)
        {
            _memoryRound = _timers.After(_memoryInterval, new SupervisorEvent.MemoryRoundDue());
            return;
        }

        _sampling = true;
        var post = _lifecycle.Post;
        _ = Task.Run(() =>
        {
            IReadOnlyDictionary<int, Diagnosis.GroupUsage> sample;
            try
            {
                sample = _lifecycle.UsageOfGroups(groups);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the round ends (posted) so that the next one runs: a lost sample, not lost sampling.
                _log.LogWarning("memory sample failed: {Error}", ex.Message);
                sample = new Dictionary<int, Diagnosis.GroupUsage>();
            }

            post(new SupervisorEvent.MemorySampled(sample, _time.GetUtcNow()));
        });
    }

    public void OnMemorySampled(SupervisorEvent.MemorySampled sampled)
    {
        _loop.AssertOnLoop();
        _sampling = false;
        if (_stopped)
        {
            return;
        }

        foreach (var instance in AllInstances().ToList())
        {
            if (!sampled.ByGroup.TryGetValue(instance.ProcessGroup, out var usage))
            {
                continue;
            }

            instance.SampleCpu(usage.Cpu, sampled.At);
            if (usage.Memory is not { } memory)
            {
                continue;
            }

            instance.Memory = memory;
            instance.MemoryAt = sampled.At;
            var limit = instance.App.Limits.Recycling.MemoryLimitBytes;
            if (limit > 0 && memory.PrivateBytes > limit && instance.State == InstancePhase.Running && instance.RecycleReason is null)
            {
                Begin(instance, $"private memory {Megabytes(memory.PrivateBytes)} > -memory-limit {Megabytes(limit)}" +
                    (instance.Requests is { } n ? $" after {n} requests" : ""), ReasonKind.MemoryLimit, sampled.At);
            }
        }

        _memoryRound = _timers.After(_memoryInterval, new SupervisorEvent.MemoryRoundDue());
        ScheduleCountRound();
    }

    /// <summary>Starts a recycling: the replacement first (a static app's slot), the old one retired once it is ready.</summary>
    private void Begin(Instance instance, string reason, string kind, DateTimeOffset now, bool atLimit = false)
    {
        instance.RecycleReason = reason;
        instance.RecycleKind = kind;
        instance.RecycleAtLimit = atLimit;
        instance.RecycleSince = now;
        instance.App.LastDecision = $"recycling pid {instance.Pid}: {reason}";
        if (instance.App is StaticApp)
        {
            _log.LogInformation("app {App}: recycling pid {Pid}: {Reason}; its replacement starts first", instance.App.Name, instance.Pid, reason);
            _static.StartReplacement(instance, $"replacing pid {instance.Pid} ({reason})", ReasonKind.Recycle);
        }
        else
        {
            // A dynamic app's instance has no slot: its replacement is one more instance of the app, which the
            // app's policy then sees and scales like any other.
            _log.LogInformation("app {App}: recycling pid {Pid}: {Reason}; its replacement starts first", instance.App.Name, instance.Pid, reason);
            instance.Replacement = _lifecycle.Start(instance.App, -1, $"replacing pid {instance.Pid} ({reason})", ReasonKind.Recycle, out _);
        }

        Progress(instance, now);
        ScheduleCountRound();
    }

    /// <summary>A recycling under way: retire the old one once its replacement waits for work (and, for -max-requests, it reached its limit).</summary>
    private void Progress(Instance old, DateTimeOffset now)
    {
        var replacement = old.App is StaticApp ? StaticAppSupervision.ReplacementOf(old) : old.Replacement;
        if (old.App is StaticApp && (replacement is null || replacement.State != InstancePhase.Running))
        {
            return; // its slot restarts as the backoff says; until then the old one serves on
        }

        // A dynamic replacement that could not start or died is not waited for: the policy starts what demand needs.
        if (replacement is { State: InstancePhase.Running })
        {
            if (!replacement.Ready && ConnectionProbe.IsWaitingForWork(replacement.Pid))
            {
                replacement.Ready = true;
                replacement.StateSince = now;
            }

            if (!replacement.Ready)
            {
                return;
            }
        }

        var why = old.RecycleReason!;
        if (old.RecycleAtLimit && old.Page is { } page)
        {
            var taken = page.Accepted;
            if (taken < old.RequestLimit)
            {
                var idleSince = page.LastAccept ?? old.StartedAt;
                if (old.HoldsRequest || now - idleSince < IdleBeforeLimit)
                {
                    return;
                }

                why = $"-max-requests: idle with {taken} of its {old.RequestLimit} requests taken";
            }
            else
            {
                why = $"-max-requests {old.RequestLimit} reached";
            }
        }

        _lifecycle.Retire(old, old.App.Limits.KillGrace, why, old.RecycleKind, RetireDrain);
    }

    private void ScheduleCountRound()
    {
        if (_stopped || _countRound is not null)
        {
            return;
        }

        if (_countsMatter || _rolls.Count > 0 || AllInstances().Any(i => i.BeingRecycled))
        {
            _countRound = _timers.After(CountInterval, new SupervisorEvent.RecycleRoundDue());
        }
    }

    private IEnumerable<Instance> AllInstances()
    {
        foreach (var app in _apps)
        {
            foreach (var instance in app.Instances)
            {
                yield return instance;
            }
        }

        foreach (var app in _dynamic.Apps)
        {
            foreach (var instance in app.Instances)
            {
                yield return instance;
            }
        }
    }

    /// <summary>MiB with one decimal, so a figure just over its limit never reads as equal to it.</summary>
    private static string Megabytes(long bytes) => (bytes / (double)(1L << 20)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " MB";
}
