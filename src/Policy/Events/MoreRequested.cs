namespace Pm.Policy;

/// <summary>
/// T record: a request has waited longer than the policy's <see cref="IScalingPolicy.StartDelay"/> without a first
/// byte. A request that keeps waiting sends one every StartDelay.
/// </summary>
public sealed record MoreRequested(string AppId, DateTimeOffset At) : PolicyEvent(AppId, At);
