using Pm.Policy;

namespace Pm.Simulation;

/// <summary>One policy to replay the trace through.</summary>
/// <param name="Label">How reports and the chart name the run.</param>
/// <param name="CreateForGroup">
/// Makes the policy of one policy group, given the group's name and a seeded Random. As in the PM, one policy
/// governs every app of its group (the PM: of one dynamic root), and decides across them.
/// </param>
public sealed record PolicyRunSpec(string Label, Func<string, Random, IScalingPolicy> CreateForGroup)
{
    /// <summary>The group of every app when none is said: one policy for the whole trace, as for apps under one root.</summary>
    public const string SingleGroup = "all apps";

    /// <summary>Which policy group governs an app (by its id); by default one group for every app.</summary>
    public Func<string, string> GroupOf { get; init; } = static _ => SingleGroup;

    /// <summary>A catalog policy with the same parameters for every app.</summary>
    /// <exception cref="PolicyConfigurationException">Unknown policy or bad parameter (thrown here, not mid-run).</exception>
    public static PolicyRunSpec FromCatalog(string name, IReadOnlyDictionary<string, string>? parameters = null, string? label = null)
    {
        var values = parameters ?? new Dictionary<string, string>();
        var settings = PolicyCatalog.Resolve(name, values); // validated now, not mid-run
        return FromSettings(settings, label);
    }

    /// <summary>A policy whose settings are already resolved (a config's root), the same for every group.</summary>
    public static PolicyRunSpec FromSettings(PolicySettings settings, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new PolicyRunSpec(label ?? settings.Name, (_, random) => PolicyCatalog.Create(settings, random));
    }

    /// <summary>
    /// Parses a command-line policy: <c>NAME</c> or <c>NAME:param=value,param=value</c>, e.g.
    /// <c>classic:maxClassProcesses=20,killInterval=60</c>. The label is the text itself.
    /// </summary>
    /// <exception cref="PolicyConfigurationException">Malformed text, unknown policy or bad parameter.</exception>
    public static PolicyRunSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':');
        var name = colon < 0 ? text : text[..colon];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (colon >= 0)
        {
            foreach (var pair in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    throw new PolicyConfigurationException(PolicyErrorKind.Malformed, $"policy '{text}': '{pair}' is not parameter=value", pair);
                }

                var key = pair[..eq].Trim();
                if (!parameters.TryAdd(key, pair[(eq + 1)..].Trim()))
                {
                    throw new PolicyConfigurationException(PolicyErrorKind.DuplicateParameter, $"policy '{text}': parameter '{key}' is given twice", key);
                }
            }
        }

        return FromCatalog(name, parameters, text.Trim());
    }
}
