using Microsoft.Extensions.Time.Testing;
using Pm.Policy;

namespace Pm.Policy.Tests.Fakes;

/// <summary>
/// A hand-driven stand-in for the PM: it keeps apps, instances and pending starts, turns what the test says happened
/// into events, applies a policy's decisions, and hands the policy a consistent snapshot. Time is a FakeTimeProvider;
/// nothing happens unless the test says so (pending starts are made only by <see cref="StartDue"/>).
/// </summary>
internal sealed class FakePm
{
    private readonly List<PolicyEvent> _events = [];
    private readonly Dictionary<string, List<FakeInstance>> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<DateTimeOffset?>> _pending = new(StringComparer.Ordinal);
    private long _nextId = 1;

    public FakePm(IScalingPolicy policy, params string[] apps)
    {
        Policy = policy;
        foreach (var app in apps)
        {
            _apps[app] = [];
            _pending[app] = [];
        }
    }

    public IScalingPolicy Policy { get; }

    // Deliberately not midnight: a clock at an odd offset flushes out code that assumes round times.
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2024, 3, 5, 13, 17, 41, 123, TimeSpan.Zero));

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Live instances of other policies' apps, added to the global total.</summary>
    public int OtherInstances { get; set; }

    /// <summary>Connections in each app's accept queue, as the PM's kernel probe would report them.</summary>
    public Dictionary<string, int> Queued { get; } = [];

    public PolicyResult? Last { get; private set; }

    public IReadOnlyList<Decision> Decisions => Last?.Decisions ?? [];

    public void Advance(double seconds) => Clock.Advance(TimeSpan.FromSeconds(seconds));

    public void S(string app) => _events.Add(new StartRequested(app, Now));

    public void T(string app, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            _events.Add(new MoreRequested(app, Now));
        }
    }

    public void C(string app, double queueSeconds, double serviceSeconds) =>
        _events.Add(new RequestCompleted(app, Now, TimeSpan.FromSeconds(queueSeconds), TimeSpan.FromSeconds(serviceSeconds)));

    public void R(string app, DateTimeOffset? modifiedAt = null) =>
        _events.Add(new BinaryChanged(app, Now) { ModifiedAt = modifiedAt });

    /// <summary>Spawns an instance outside any decision (as if another actor did); reported as InstanceStarted.</summary>
    public long Spawn(string app, InstanceState state = InstanceState.Idle)
    {
        var instance = new FakeInstance(_nextId++, Now) { State = state };
        _apps[app].Add(instance);
        _events.Add(new InstanceStarted(app, Now, instance.Id));
        return instance.Id;
    }

    /// <summary>Makes every pending start whose NotBefore has come; returns the new instance ids.</summary>
    public IReadOnlyList<long> StartDue(InstanceState state = InstanceState.Idle)
    {
        var started = new List<long>();
        foreach (var (app, pending) in _pending)
        {
            for (var i = 0; i < pending.Count; i++)
            {
                if (pending[i] is not { } due || due <= Now)
                {
                    pending.RemoveAt(i--);
                    started.Add(Spawn(app, state));
                }
            }
        }

        return started;
    }

    public void SetState(long id, InstanceState state, bool? holdsRequest = null)
    {
        var instance = Find(id).Instance;
        instance.State = state;
        instance.StateSince = Now;
        instance.HoldsRequest = holdsRequest ?? state == InstanceState.Busy;
        if (state == InstanceState.Busy)
        {
            instance.Served++;
        }
    }

    /// <summary>The instance's process ends; WasRetired follows whether a decision (or the test) retired it.</summary>
    public void Exit(long id, int? exitCode = 0, int? signal = null)
    {
        var (app, instance) = Find(id);
        _apps[app].Remove(instance);
        _events.Add(new InstanceExited(app, Now, id, signal is null ? exitCode : null, signal,
            instance.State == InstanceState.Retiring, Now - instance.StartedAt));
    }

    public int Pending(string app) => _pending[app].Count;

    public IReadOnlyList<(long Id, InstanceState State)> Instances(string app) =>
        _apps[app].Select(i => (i.Id, i.State)).ToList();

    /// <summary>The machine's idle CPU share the policy sees; null (unknown) unless a test sets it.</summary>
    public double? CpuIdleShare { get; set; }

    /// <summary>The machine's cores the policy sees; null (unknown: no shortPerCore limit) unless a test sets it.</summary>
    public int? Cores { get; set; }

    public PolicyResult Evaluate()
    {
        var views = _apps.Select(pair => new AppView(pair.Key,
            pair.Value.Select(i => new InstanceView(i.Id, i.State, i.StartedAt, i.StateSince, i.HoldsRequest, i.Served)).ToList(),
            _pending[pair.Key].Count, Queued.GetValueOrDefault(pair.Key))).ToList();
        var total = _apps.Values.Sum(list => list.Count) + OtherInstances;
        var input = new PolicyInput(Now, views, _events.ToList(), new GlobalView(total, CpuIdleShare, Cores));
        _events.Clear();
        Last = Policy.Evaluate(input);
        foreach (var decision in Last.Decisions)
        {
            switch (decision)
            {
                case SpawnInstances spawn:
                    for (var i = 0; i < spawn.Count; i++)
                    {
                        _pending[spawn.AppId].Add(spawn.NotBefore);
                    }

                    break;
                case RetireInstance retire:
                    var instance = Find(retire.InstanceId).Instance;
                    instance.State = InstanceState.Retiring;
                    instance.StateSince = Now;
                    break;
                case CancelPendingStart cancel:
                    _pending[cancel.AppId].Clear();
                    break;
            }
        }

        return Last;
    }

    private (string App, FakeInstance Instance) Find(long id)
    {
        foreach (var (app, list) in _apps)
        {
            var instance = list.Find(i => i.Id == id);
            if (instance is not null)
            {
                return (app, instance);
            }
        }

        throw new InvalidOperationException($"no live instance {id}");
    }

    private sealed class FakeInstance(long id, DateTimeOffset startedAt)
    {
        public long Id { get; } = id;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public InstanceState State { get; set; } = InstanceState.Idle;

        public DateTimeOffset StateSince { get; set; } = startedAt;

        public bool HoldsRequest { get; set; }

        public long Served { get; set; }
    }
}
