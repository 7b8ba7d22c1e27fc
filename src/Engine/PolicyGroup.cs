using Pm.Policy;

namespace Pm.Engine;

/// <summary>
/// A scaling policy and the apps it governs (the PM: those under one PmDynamicRoot), with the events gathered
/// for its next evaluation. A policy keeps per-app state and decides across its apps (the reclaim at
/// maxProcesses retires one app's idle instances for another's waiting requests), so each group is evaluated
/// as one, by the engine's loop alone.
/// </summary>
public sealed class PolicyGroup(string name, IScalingPolicy policy)
{
    public string Name { get; } = name;

    public IScalingPolicy Policy { get; } = policy;

    internal List<ScaledApp> Apps { get; } = [];

    internal List<PolicyEvent> Events { get; } = [];

    /// <summary>Set while the group is to be evaluated before the engine returns to its caller.</summary>
    internal bool Dirty { get; set; }

    /// <summary>The timer of a later evaluation (coalesced completions, or the policy's NextEvaluation), and when it is due.</summary>
    internal ITimer? EvaluationTimer { get; set; }

    internal DateTimeOffset EvaluationDue { get; set; }

    /// <summary>
    /// Its last evaluation decided nothing while connections waited, with nothing starting or held
    /// (<see cref="ScalingEngineOptions.SettledInterval"/>).
    /// </summary>
    public bool Settled { get; internal set; }

    /// <summary>When the policy asked to be evaluated again at its last evaluation.</summary>
    public DateTimeOffset? NextEvaluation { get; internal set; }

    public DateTimeOffset? LastEvaluation { get; internal set; }

    public long Evaluations { get; internal set; }
}
