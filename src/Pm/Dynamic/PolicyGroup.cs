using Pm.Config;
using Pm.Policy;

namespace Pm.Dynamic;

/// <summary>
/// A scaling policy and the dynamic apps it governs (those under one PmDynamicRoot), with the events gathered
/// for its next evaluation. Policies keep per-app state, so each is evaluated by the supervisor loop alone.
/// </summary>
public sealed class PolicyGroup(DynamicRootConfig root, IScalingPolicy policy)
{
    public DynamicRootConfig Root { get; } = root;

    public IScalingPolicy Policy { get; } = policy;

    public List<DynamicApp> Apps { get; } = [];

    public List<PolicyEvent> Events { get; } = [];

    /// <summary>When the policy asked to be evaluated again, and the timer for it.</summary>
    public DateTimeOffset? NextEvaluation { get; set; }

    public ITimer? EvaluationTimer { get; set; }

    /// <summary>Set while an evaluation is already posted to the loop or waiting on its timer, so bursts of records coalesce.</summary>
    public bool EvaluationPosted { get; set; }

    /// <summary>When the evaluation asked for is due.</summary>
    public DateTimeOffset EvaluationDue { get; set; }

    public DateTimeOffset LastEvaluation { get; set; }
}
