using Pm.Policy;

namespace Pm.Simulation;

/// <summary>One policy to replay the trace through.</summary>
/// <param name="Label">How reports and the chart name the run.</param>
/// <param name="CreateForApp">Makes the policy instance for one app, given the app id and a seeded Random.</param>
public sealed record PolicyRunSpec(string Label, Func<string, Random, IScalingPolicy> CreateForApp)
{
    /// <summary>A catalog policy with the same parameters for every app.</summary>
    /// <exception cref="PolicyConfigurationException">Unknown policy or bad parameter (thrown here, not mid-run).</exception>
    public static PolicyRunSpec FromCatalog(string name, IReadOnlyDictionary<string, string>? parameters = null, string? label = null)
    {
        var values = parameters ?? new Dictionary<string, string>();
        var settings = PolicyCatalog.Resolve(name, values); // validated now, not mid-run
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
