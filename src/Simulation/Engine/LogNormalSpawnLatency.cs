using System.Globalization;
using Pm.Shared;

namespace Pm.Simulation;

/// <summary>Spawn times spread log-normally around a median: mostly close to it, with a long tail.</summary>
public sealed record LogNormalSpawnLatency(TimeSpan Median, double Sigma) : SpawnLatencyModel
{
    public override TimeSpan Next(Random random)
    {
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var seconds = Math.Min(3600, Median.TotalSeconds * Math.Exp(Sigma * normal));
        return TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"log-normal median {DurationFormat.Seconds(Median)} sigma {Sigma:0.##}");
}
