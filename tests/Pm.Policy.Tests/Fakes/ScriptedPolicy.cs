using Pm.Policy;

namespace Pm.Policy.Tests.Fakes;

/// <summary>A policy whose decisions the test scripts; it records every input, to check what the simulator reports.</summary>
internal sealed class ScriptedPolicy(TimeSpan startDelay, Func<PolicyInput, IReadOnlyList<Decision>> decide) : IScalingPolicy
{
    public List<PolicyInput> Inputs { get; } = [];

    public string Name => "scripted";

    public TimeSpan StartDelay => startDelay;

    /// <summary>When the policy asks to be evaluated again, given the input; none by default.</summary>
    public Func<PolicyInput, DateTimeOffset?> Next { get; init; } = static _ => null;

    public PolicyResult Evaluate(PolicyInput input)
    {
        Inputs.Add(input);
        return new PolicyResult(decide(input), Next(input), []);
    }
}
