namespace Pm.Tests.Supervision.InMemory.Fakes;

/// <summary>Randomness that always draws the same value, so a jittered backoff is known exactly.</summary>
public sealed class FixedRandom(double value) : Random
{
    public override double NextDouble() => value;

    protected override double Sample() => value;
}
