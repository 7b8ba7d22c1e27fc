namespace Pm.Policy;

/// <summary>
/// Prefork-style scaling as spamd does it (after Apache prefork's perform_idle_server_maintenance): keep between
/// minSpare and maxSpare idle instances per app, one change per evaluation.
/// </summary>
/// <remarks>
/// Scheme, per app, at every evaluation (spamd runs it after every child status report; the PM evaluates on every
/// event, which is the same cadence):
///   instances = live instances (starting, idle, busy, retiring) + pending starts; idle = idle instances.
///   below minClassProcesses: start the missing ones (spamd's start-up children);
///   idle &lt; minSpare and instances &lt; maxClassProcesses: start one;
///   else idle &gt; maxSpare and instances &gt; minClassProcesses: retire the idle instance with the highest id
///   (spamd kills the highest pid: the youngest, and predictable).
/// Starting instances and pending starts do not count as idle, as in spamd, so a slow start lets it add one per
/// evaluation until one becomes idle. An app counts only once it has been asked for (S or T record) or has instances:
/// the PM may list configured apps nobody has requested yet.
/// </remarks>
public sealed class SparePolicy : IScalingPolicy
{
    private readonly SparePolicyOptions _options;
    private readonly HashSet<string> _activated = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MaxReachedCount> _maxReached = new(StringComparer.Ordinal);

    public SparePolicy(SparePolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid spare policy options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
    }

    public string Name => PolicyCatalog.Spare;

    public TimeSpan StartDelay => _options.StartDelay;

    public SparePolicyOptions Options => _options;

    public PolicyResult Evaluate(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        foreach (var ev in input.Events)
        {
            if (ev is StartRequested or MoreRequested or InstanceStarted)
            {
                _activated.Add(ev.AppId);
            }
        }

        var decisions = new List<Decision>();
        var loads = new List<AppLoad>(input.Apps.Count);
        var globalPending = 0;
        foreach (var app in input.Apps)
        {
            globalPending += app.PendingStarts;
        }

        var global = input.Global.TotalDynamicInstances + globalPending;
        foreach (var app in input.Apps)
        {
            if (app.Instances.Count > 0)
            {
                _activated.Add(app.AppId);
            }

            var counts = SpareCounts.Of(app);
            var maxReached = MaxReachedOf(app.AppId);
            string note;
            if (!_activated.Contains(app.AppId))
            {
                note = "not requested yet";
            }
            else
            {
                note = Decide(app, counts, ref global, decisions, maxReached);
            }

            loads.Add(new AppLoad(app.AppId, new Dictionary<string, double>
            {
                ["idle"] = counts.Idle,
                ["busy"] = counts.Busy,
                ["starting"] = counts.Starting + app.PendingStarts,
                ["retiring"] = counts.Retiring,
                ["instances"] = counts.Servers,
                [AppLoad.MaxReached] = maxReached.Count,
            }, $"{counts.Idle} idle, {counts.Busy} busy, {counts.Starting + app.PendingStarts} starting,"
               + $" {counts.Retiring} retiring (spare {_options.MinSpareProcesses}..{_options.MaxSpareProcesses}); {note}"));
        }

        // Retire activation of apps the PM no longer lists.
        _activated.RemoveWhere(id => !Listed(input.Apps, id));
        foreach (var gone in _maxReached.Keys.Where(id => !Listed(input.Apps, id)).ToList())
        {
            _maxReached.Remove(gone);
        }

        return new PolicyResult(decisions, null, loads);
    }

    private MaxReachedCount MaxReachedOf(string appId)
    {
        if (!_maxReached.TryGetValue(appId, out var count))
        {
            _maxReached[appId] = count = new MaxReachedCount();
        }

        return count;
    }

    private string Decide(AppView app, SpareCounts counts, ref int global, List<Decision> decisions, MaxReachedCount maxReached)
    {
        var servers = counts.Servers;
        var wanted = servers < _options.MinClassProcesses || counts.Idle < _options.MinSpareProcesses;
        var room = servers < _options.MinClassProcesses
            ? _options.MaxProcesses - global > 0
            : servers < _options.MaxClassProcesses && global < _options.MaxProcesses;
        maxReached.Held(wanted && !room);
        if (servers < _options.MinClassProcesses)
        {
            var count = Math.Min(_options.MinClassProcesses - servers, _options.MaxProcesses - global);
            if (count <= 0)
            {
                return $"below minClassProcesses {_options.MinClassProcesses} but maxProcesses {_options.MaxProcesses} reached";
            }

            global += count;
            decisions.Add(new SpawnInstances(app.AppId, count, null,
                $"{servers} instances < minClassProcesses {_options.MinClassProcesses}: starting {count}"));
            return $"started {count} to reach minClassProcesses";
        }

        if (counts.Idle < _options.MinSpareProcesses)
        {
            if (servers >= _options.MaxClassProcesses)
            {
                return $"{counts.Idle} idle < minSpareProcesses {_options.MinSpareProcesses} but maxClassProcesses {_options.MaxClassProcesses} reached";
            }

            if (global >= _options.MaxProcesses)
            {
                return $"{counts.Idle} idle < minSpareProcesses {_options.MinSpareProcesses} but maxProcesses {_options.MaxProcesses} reached";
            }

            global++;
            decisions.Add(new SpawnInstances(app.AppId, 1, null,
                $"{counts.Idle} idle < minSpareProcesses {_options.MinSpareProcesses} with {servers} instances"
                + $" (maxClassProcesses {_options.MaxClassProcesses}): starting one"));
            return "starting one";
        }

        if (counts.Idle > _options.MaxSpareProcesses && servers > _options.MinClassProcesses)
        {
            InstanceView? victim = null;
            foreach (var instance in app.Instances)
            {
                if (instance is { State: InstanceState.Idle, HoldsRequest: false }
                    && (victim is null || instance.InstanceId > victim.InstanceId))
                {
                    victim = instance;
                }
            }

            if (victim is not null)
            {
                decisions.Add(new RetireInstance(app.AppId, victim.InstanceId,
                    $"{counts.Idle} idle > maxSpareProcesses {_options.MaxSpareProcesses} with {servers} instances"
                    + $" (minClassProcesses {_options.MinClassProcesses}): retiring idle instance {victim.InstanceId}, the highest id"));
                return $"retiring instance {victim.InstanceId}";
            }
        }

        return "within limits";
    }

    private static bool Listed(IReadOnlyList<AppView> apps, string id)
    {
        foreach (var app in apps)
        {
            if (app.AppId == id)
            {
                return true;
            }
        }

        return false;
    }
}
