namespace Pm.Policy;

/// <summary>
/// Creates policies by the names the configuration uses. Parameter names are the configuration option names without
/// the dash, case-insensitive; durations are decimal seconds. See POLICIES.md for every parameter.
/// </summary>
public static class PolicyCatalog
{
    public const string Classic = "classic";
    public const string Spare = "spare";
    public const string Demand = "demand";

    /// <summary>The policy an app gets when its configuration names none.</summary>
    public const string DefaultName = Demand;

    public static IReadOnlyList<string> Names { get; } = [Classic, Spare, Demand];

    /// <summary>Creates a policy; randomness (demand's backoff jitter) comes from <see cref="Random.Shared"/>.</summary>
    /// <exception cref="PolicyConfigurationException">Unknown name, unknown parameter, unparsable or invalid value.</exception>
    public static IScalingPolicy Create(string name, IReadOnlyDictionary<string, string> parameters) =>
        Create(name, parameters, Random.Shared);

    /// <summary>Creates a policy with an explicit source of randomness (seeded in simulations and tests).</summary>
    /// <exception cref="PolicyConfigurationException">Unknown name, unknown parameter, unparsable or invalid value.</exception>
    public static IScalingPolicy Create(string name, IReadOnlyDictionary<string, string> parameters, Random random)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(random);
        var chosen = string.IsNullOrWhiteSpace(name) ? DefaultName : name.Trim().ToLowerInvariant();
        var reader = new PolicyParameterReader(chosen, parameters);
        switch (chosen)
        {
            case Classic:
            {
                var options = ClassicPolicyOptions.Read(reader);
                reader.RejectUnknown();
                ThrowIfInvalid(chosen, options.Validate());
                return new ClassicPolicy(options);
            }

            case Spare:
            {
                var options = SparePolicyOptions.Read(reader);
                reader.RejectUnknown();
                ThrowIfInvalid(chosen, options.Validate());
                return new SparePolicy(options);
            }

            case Demand:
            {
                var options = DemandPolicyOptions.Read(reader);
                reader.RejectUnknown();
                ThrowIfInvalid(chosen, options.Validate());
                return new DemandPolicy(options, random);
            }

            default:
                throw new PolicyConfigurationException(
                    $"unknown scaling policy '{name}'; known policies: {string.Join(", ", Names)} (default {DefaultName})");
        }
    }

    private static void ThrowIfInvalid(string policy, IReadOnlyList<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new PolicyConfigurationException($"policy '{policy}': {string.Join("; ", errors)}", FirstName(errors[0]));
        }
    }

    // Validate() messages start with the parameter name; hand it on so the config parser can point at it.
    private static string? FirstName(string error)
    {
        var end = error.IndexOf(' ');
        return end > 0 ? error[..end] : null;
    }
}
