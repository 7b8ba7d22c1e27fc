using Pm.Shared;

namespace Pm.Simulation;

/// <summary>Every spawn takes the same time.</summary>
public sealed record FixedSpawnLatency(TimeSpan Latency) : SpawnLatencyModel
{
    public override TimeSpan Next(Random random) => Latency;

    public override string ToString() => $"fixed {DurationFormat.Seconds(Latency)}";
}
