namespace Pm.Policy;

/// <summary>
/// Decides how many instances of each dynamic app should run. A policy only decides; the PM applies the decisions
/// (spawns, graceful retirement, cancelling pending starts) and reports what happened through the next input.
/// </summary>
/// <remarks>
/// Constraints every implementation keeps: no I/O, no clock of its own (time comes only from
/// <see cref="PolicyInput.Now"/>), randomness only from an injected <see cref="Random"/>. A policy may keep per-app
/// state between calls, so one instance must be evaluated by one caller at a time, with inputs in time order.
/// </remarks>
public interface IScalingPolicy
{
    /// <summary>The catalog name: <c>classic</c>, <c>spare</c> or <c>demand</c>.</summary>
    string Name { get; }

    /// <summary>
    /// How long a request may wait for its first byte before the front end sends a MoreRequested (T) record, and
    /// again every such interval while it keeps waiting. The front end should use the policy's value because the
    /// policy's arithmetic assumes that cadence.
    /// </summary>
    TimeSpan StartDelay { get; }

    /// <summary>Digests the events since the previous call and the current snapshot; returns what to do now.</summary>
    PolicyResult Evaluate(PolicyInput input);
}
