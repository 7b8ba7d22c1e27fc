using Pm.Engine;

namespace Pm.Policy.Tests.Fakes;

/// <summary>
/// The engine's pool as a test drives it: apps with instances whose state the test sets, an accept queue the test
/// fills, and a record of every call the engine made. Nothing runs; nothing happens unless the test says so.
/// </summary>
internal sealed class FakeInstancePool(string group = FakeInstancePool.Group) : IInstancePool
{
    public const string Group = "root";

    private readonly Dictionary<string, List<(long Id, InstanceState State, DateTimeOffset Since)>> _open = new(StringComparer.Ordinal);
    private long _nextId = 1;

    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UnixEpoch;

    /// <summary>Paths the pool refuses to open (not under a root).</summary>
    public HashSet<string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>Which group an app belongs to, when not the pool's default.</summary>
    public Dictionary<string, string> Groups { get; } = new(StringComparer.Ordinal);

    public bool FailStarts { get; set; }

    public Dictionary<string, int> Queued { get; } = new(StringComparer.Ordinal);

    public List<string> Calls { get; } = [];

    public int Starts => Calls.Count(c => c.StartsWith("start ", StringComparison.Ordinal));

    public string? Open(string appId)
    {
        Calls.Add($"open {appId}");
        if (Refused.Contains(appId))
        {
            return null;
        }

        _open.TryAdd(appId, []);
        return Groups.GetValueOrDefault(appId, group);
    }

    public void Release(string appId)
    {
        Calls.Add($"release {appId}");
        _open.Remove(appId);
    }

    /// <summary>Times the engine asked for a fresh look at the instances.</summary>
    public int Refreshes { get; private set; }

    public void Refresh(IReadOnlyCollection<string> appIds, DateTimeOffset now) => Refreshes++;

    public AppView View(string appId, int pendingStarts, DateTimeOffset now) =>
        new(appId, _open[appId].Select(i => new InstanceView(i.Id, i.State, i.Since, i.Since, i.State == InstanceState.Busy, 0)).ToList(),
            pendingStarts, Queued.GetValueOrDefault(appId));

    public int InstanceCount(string appId) => _open.TryGetValue(appId, out var list) ? list.Count : 0;

    public int QueuedConnections(string appId) => Queued.GetValueOrDefault(appId);

    public int FreeInstances(string appId) =>
        _open.TryGetValue(appId, out var list) ? list.Count(i => i.State is InstanceState.Idle or InstanceState.Starting) : 0;

    public long? Start(string appId, string reason, out string? error)
    {
        Calls.Add($"start {appId}");
        if (FailStarts)
        {
            error = "no such file";
            return null;
        }

        error = null;
        var id = _nextId++;
        _open[appId].Add((id, InstanceState.Starting, Now()));
        return id;
    }

    public bool Retire(string appId, long instanceId, string reason)
    {
        Calls.Add($"retire {appId} {instanceId}");
        var list = _open[appId];
        var index = list.FindIndex(i => i.Id == instanceId);
        if (index < 0 || list[index].State == InstanceState.Retiring)
        {
            return false;
        }

        list[index] = (instanceId, InstanceState.Retiring, Now());
        return true;
    }

    public int TotalInstances => _open.Values.Sum(l => l.Count);

    public double? CpuIdleShare { get; set; }

    public int? Cores { get; set; }

    public void SetState(string appId, long id, InstanceState state)
    {
        var list = _open[appId];
        var index = list.FindIndex(i => i.Id == id);
        list[index] = (id, state, Now());
    }

    /// <summary>The instance is gone; returns the exit event the PM would report.</summary>
    public InstanceExited Exit(string appId, long id, bool retired)
    {
        var list = _open[appId];
        var instance = list.Find(i => i.Id == id);
        list.Remove(instance);
        return new InstanceExited(appId, Now(), id, 0, null, retired, Now() - instance.Since);
    }
}
