namespace Pm.Simulation;

/// <summary>Something scheduled at a point of virtual time.</summary>
internal sealed record SimEvent(SimEventKind Kind, SimApp? App)
{
    public SimRequest? Request { get; init; }

    public SimInstance? Instance { get; init; }

    public VirtualTime.Timer? Timer { get; init; }

    /// <summary>The timer's generation when this firing was scheduled.</summary>
    public long Token { get; init; }
}
