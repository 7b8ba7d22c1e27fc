namespace Pm.Simulation;

/// <summary>The outcome of replaying a trace through one policy.</summary>
/// <param name="Label">The run's label.</param>
/// <param name="PolicyName">The catalog name of the policy.</param>
/// <param name="Requests">Requests in the trace.</param>
/// <param name="Served">Requests an instance took (their wait is known).</param>
/// <param name="Rejected">Requests that waited appConnTimeout without an instance (a 503).</param>
/// <param name="Unfinished">Requests still waiting or being served when the run ended.</param>
/// <param name="P50Wait">Median wait of served requests, arrival to first byte.</param>
/// <param name="P99Wait">99th percentile wait of served requests.</param>
/// <param name="MaxWait">Longest wait of a served request.</param>
/// <param name="InstanceSeconds">Integral of live instances (starting, idle, busy, retiring) over the run.</param>
/// <param name="Spawns">Instances started.</param>
/// <param name="Kills">Instances retired by a decision.</param>
/// <param name="CancelledStarts">Pending starts dropped by a CancelPendingStart decision.</param>
/// <param name="MaxInstances">Most live instances at once.</param>
/// <param name="Evaluations">Times the policy was evaluated.</param>
/// <param name="Duration">Virtual time the run covered.</param>
/// <param name="Timeline">Instances and queue length over time, for the chart.</param>
/// <param name="DecisionLog">The first decisions, as "time app: decision — reason".</param>
public sealed record PolicyRunReport(
    string Label,
    string PolicyName,
    int Requests,
    int Served,
    int Rejected,
    int Unfinished,
    TimeSpan P50Wait,
    TimeSpan P99Wait,
    TimeSpan MaxWait,
    double InstanceSeconds,
    int Spawns,
    int Kills,
    int CancelledStarts,
    int MaxInstances,
    long Evaluations,
    TimeSpan Duration,
    Timeline Timeline,
    IReadOnlyList<string> DecisionLog);
