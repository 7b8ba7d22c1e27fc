namespace Pm.Simulation;

/// <summary>Something scheduled at a point of virtual time.</summary>
internal sealed record SimEvent(SimEventKind Kind, SimApp App)
{
    public SimRequest? Request { get; init; }

    public SimInstance? Instance { get; init; }

    /// <summary>Pending-start id for <see cref="SimEventKind.SpawnDue"/>, wake token for <see cref="SimEventKind.Wake"/>.</summary>
    public long Token { get; init; }
}
