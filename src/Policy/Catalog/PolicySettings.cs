namespace Pm.Policy;

/// <summary>
/// A scaling policy's settings, parsed, given their defaults and validated once, by
/// <see cref="PolicyCatalog.Resolve"/>: one of <see cref="ClassicPolicyOptions"/>, <see cref="SparePolicyOptions"/>
/// or <see cref="DemandPolicyOptions"/>, told apart by type. What every policy shares is readable here without making
/// a policy (the front end needs only <see cref="StartDelay"/>); <see cref="PolicyCatalog.Create"/> makes one.
/// </summary>
public abstract record PolicySettings
{
    // Only the catalog's options derive: Create knows each of them.
    private protected PolicySettings()
    {
    }

    /// <summary>The catalog name: <c>classic</c>, <c>spare</c> or <c>demand</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// How long a request waits for its first byte before the front end sends a T record, and again every such
    /// interval while it keeps waiting; the policy made from these settings has the same
    /// <see cref="IScalingPolicy.StartDelay"/>.
    /// </summary>
    public abstract TimeSpan StartDelay { get; init; }

    /// <summary>What makes these settings unusable, each naming its parameter; empty when they are usable.</summary>
    public abstract IReadOnlyList<PolicyProblem> Validate();
}
