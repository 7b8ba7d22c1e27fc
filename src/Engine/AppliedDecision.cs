using Pm.Policy;

namespace Pm.Engine;

/// <summary>A policy decision as the engine applied it: for the PM's log, the simulator's report and tests.</summary>
/// <param name="At">When it was applied.</param>
/// <param name="Group">The policy group that decided.</param>
/// <param name="Policy">The policy's catalog name.</param>
/// <param name="Decision">What the policy decided, with its reason.</param>
/// <param name="Count">
/// What it comes to: instances to start now (or to hold, for a spawn with a later NotBefore), 1 for a retirement
/// (the pool ignores one of an instance already gone or stopping), the pending starts dropped for a cancellation.
/// </param>
/// <param name="Pending">For a spawn: true when the starts are held until <see cref="SpawnInstances.NotBefore"/>.</param>
public sealed record AppliedDecision(DateTimeOffset At, string Group, string Policy, Decision Decision, int Count, bool Pending);
