namespace Pm.Policy;

/// <summary>What a policy decided at one evaluation.</summary>
/// <param name="Decisions">Actions for the PM, in the order they should be applied.</param>
/// <param name="NextEvaluation">When to evaluate again even if nothing happens; null when only events matter.</param>
/// <param name="Loads">Per-app figures for <c>pm status</c>, one per app in the input.</param>
public sealed record PolicyResult(
    IReadOnlyList<Decision> Decisions,
    DateTimeOffset? NextEvaluation,
    IReadOnlyList<AppLoad> Loads);
