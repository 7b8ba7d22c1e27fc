using Pm.Engine;
namespace Pm.Simulation;

/// <summary>What to simulate: one trace replayed once per policy, under the same front-end and spawn models.</summary>
/// <param name="Trace">The arrivals and service times.</param>
/// <param name="Policies">One run per entry; the apps of the trace are governed by the entry's policy groups, as in the PM.</param>
public sealed record SimulationSpec(Trace Trace, IReadOnlyList<PolicyRunSpec> Policies)
{
    /// <summary>When the engine evaluates besides records (the PM's timings by default).</summary>
    public ScalingEngineOptions Engine { get; init; } = ScalingEngineOptions.Default;

    /// <summary>How long a spawned instance takes to accept requests.</summary>
    public SpawnLatencyModel SpawnLatency { get; init; } = new FixedSpawnLatency(TimeSpan.FromSeconds(0.2));

    /// <summary>From an idle retired instance's stop to its exit.</summary>
    public TimeSpan StopLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>A request still waiting for an instance this long is rejected (a 503); null never rejects.</summary>
    public TimeSpan? AppConnTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the run goes on after the last arrival, to see scale-down and count instance-seconds.</summary>
    public TimeSpan CoolDown { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Seeds the spawn-latency draws and each policy's Random; the same seed gives the same results.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Time resolution of the chart: the run is cut into this many buckets, each keeping its maxima.</summary>
    public int ChartBuckets { get; init; } = 600;

    /// <summary>Virtual wall-clock time of the trace's zero (what policies see as <c>Now</c>).</summary>
    public DateTimeOffset Start { get; init; } = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many decisions each report keeps verbatim, for reading what a policy did.</summary>
    public int DecisionLogLimit { get; init; } = 200;
}
