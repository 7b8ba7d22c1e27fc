namespace Pm.Simulation;

/// <summary>Entry point of <c>pm simulate</c>: replays a trace through each policy of the spec.</summary>
public static class SimulationRunner
{
    /// <summary>One report per policy, in the spec's order. Deterministic: the same spec gives the same reports.</summary>
    public static IReadOnlyList<PolicyRunReport> Run(SimulationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.ChartBuckets, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.CoolDown, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.StopLatency, TimeSpan.Zero);
        var reports = new List<PolicyRunReport>(spec.Policies.Count);
        foreach (var policy in spec.Policies)
        {
            reports.Add(new SimulationRun(spec, policy).Execute());
        }

        return reports;
    }
}
