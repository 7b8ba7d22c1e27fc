namespace Pm.Policy;

/// <summary>
/// The policies by the names the configuration uses, and the one place their parameters are read: parameter names are
/// the configuration option names without the dash, case-insensitive; durations are decimal seconds. See POLICIES.md
/// for every parameter. <see cref="Resolve"/> turns a name and parameters into checked <see cref="PolicySettings"/>
/// once, when the configuration is read; <see cref="Create"/> makes a policy from them, as often as needed.
/// </summary>
public static class PolicyCatalog
{
    public const string Classic = "classic";
    public const string Spare = "spare";
    public const string Demand = "demand";

    /// <summary>The policy an app gets when its configuration names none.</summary>
    public const string DefaultName = Demand;

    private static readonly Dictionary<string, string> NoParameters = [];

    public static IReadOnlyList<string> Names { get; } = [Classic, Spare, Demand];

    /// <summary>
    /// Parses the parameters of the policy <paramref name="name"/> (the default policy when null or blank), gives
    /// the others their defaults and validates the result.
    /// </summary>
    /// <exception cref="PolicyConfigurationException">
    /// Unknown name, unknown or repeated parameter, unparsable or invalid value; <see cref="PolicyConfigurationException.Kind"/>
    /// says which and <see cref="PolicyConfigurationException.ParameterName"/> names the parameter as it was spelled.
    /// </exception>
    public static PolicySettings Resolve(string? name, IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var chosen = CanonicalName(name);
        var reader = new PolicyParameterReader(chosen, parameters);
        var settings = Read(chosen, reader);
        reader.RejectUnknown();
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new PolicyConfigurationException(PolicyErrorKind.InvalidValue,
                $"policy '{chosen}': {string.Join("; ", problems)}", reader.Spelled(problems[0].Parameter));
        }

        return settings;
    }

    /// <summary>
    /// A new policy with these settings. <paramref name="random"/> is the policy's only source of randomness (demand's
    /// backoff jitter): seeded in simulations and tests, <see cref="Random.Shared"/> where the PM is put together.
    /// </summary>
    public static IScalingPolicy Create(PolicySettings settings, Random random)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(random);
        return settings switch
        {
            ClassicPolicyOptions classic => new ClassicPolicy(classic),
            SparePolicyOptions spare => new SparePolicy(spare),
            DemandPolicyOptions demand => new DemandPolicy(demand, random),
            _ => throw new ArgumentException($"settings of unknown policy '{settings.Name}'", nameof(settings)),
        };
    }

    /// <summary>The parameters the policy <paramref name="name"/> takes, by the names it reads them under.</summary>
    /// <exception cref="PolicyConfigurationException">Unknown name.</exception>
    public static IReadOnlyList<string> ParameterNames(string? name)
    {
        var chosen = CanonicalName(name);
        var reader = new PolicyParameterReader(chosen, NoParameters);
        _ = Read(chosen, reader);
        return reader.Known;
    }

    private static string CanonicalName(string? name)
    {
        var chosen = string.IsNullOrWhiteSpace(name) ? DefaultName : name.Trim().ToLowerInvariant();
        if (!Names.Contains(chosen))
        {
            throw new PolicyConfigurationException(PolicyErrorKind.UnknownPolicy,
                $"unknown scaling policy '{name}'; known policies: {string.Join(", ", Names)} (default {DefaultName})");
        }

        return chosen;
    }

    private static PolicySettings Read(string chosen, PolicyParameterReader reader) => chosen switch
    {
        Classic => ClassicPolicyOptions.Read(reader),
        Spare => SparePolicyOptions.Read(reader),
        Demand => DemandPolicyOptions.Read(reader),
        _ => throw new ArgumentOutOfRangeException(nameof(chosen), chosen, "not a catalog name"),
    };
}
