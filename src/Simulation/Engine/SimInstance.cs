using Pm.Policy;

namespace Pm.Simulation;

/// <summary>A simulated app process: one request at a time.</summary>
internal sealed class SimInstance(long id, SimApp app, TimeSpan startedAt)
{
    public long Id { get; } = id;

    public SimApp App { get; } = app;

    public TimeSpan StartedAt { get; } = startedAt;

    public InstanceState State { get; set; } = InstanceState.Starting;

    public TimeSpan StateSince { get; set; } = startedAt;

    public SimRequest? Current { get; set; }

    public long Served { get; set; }

    /// <summary>Its place in the app's idle list while idle.</summary>
    public LinkedListNode<SimInstance>? IdleNode { get; set; }

    public bool ExitScheduled { get; set; }

    public InstanceView ToView(DateTimeOffset start) =>
        new(Id, State, start + StartedAt, start + StateSince, Current is not null, Served);
}
