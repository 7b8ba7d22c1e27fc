using Pm.Policy;

namespace Pm.Config;

/// <summary>
/// Turns the options of FastCgiConfig and PmDynamicRoot into a scaling policy's settings, resolved when the config
/// is read, so mistakes surface with file and line and nothing later parses them again.
/// mod_fastcgi's own FastCgiConfig options (-killInterval, -singleThreshold ...) are classic's parameters; a
/// policy that has no use for one of them simply does not take it (so an Apache config still reads unchanged
/// under another policy), and <see cref="Resolved.Ignored"/> lists them for the startup log. Options that
/// mod_fastcgi does not have are policy parameters and must be known to the chosen policy.
/// </summary>
internal static class PolicyResolver
{
    /// <summary>mod_fastcgi FastCgiConfig options and the policy parameter each becomes.</summary>
    private static readonly (string Option, string Parameter)[] ModFastCgiParameters =
    [
        ("maxProcesses", "maxProcesses"), ("minProcesses", "minProcesses"), ("maxClassProcesses", "maxClassProcesses"),
        ("killInterval", "killInterval"), ("updateInterval", "updateInterval"), ("gainValue", "gainValue"),
        ("singleThreshold", "singleThreshold"), ("multiThreshold", "multiThreshold"), ("startDelay", "startDelay"),
        ("processSlack", "processSlack"), ("restart", "restart"), ("init-start-delay", "initStartDelay"),
        ("restart-delay", "restartDelay"), ("min-server-life", "minServerLife"),
    ];

    /// <param name="Settings">The policy's settings; null when <see cref="Error"/> says why there are none.</param>
    /// <param name="Ignored">mod_fastcgi parameters the policy does not take, by their parameter names.</param>
    /// <param name="Error">What is wrong, naming the policy and the parameter; null when nothing is.</param>
    public sealed record Resolved(PolicySettings? Settings, IReadOnlyList<string> Ignored, string? Error);

    /// <summary>The mod_fastcgi options given on FastCgiConfig, as policy parameters.</summary>
    public static Dictionary<string, string> FromModFastCgi(OptionValues options)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (option, parameter) in ModFastCgiParameters)
        {
            if (options.Has(option))
            {
                result[parameter] = options.Text(option) ?? "on";
            }
        }

        return result;
    }

    /// <summary>Sets aside the mod_fastcgi parameters the policy does not take, then resolves the rest.</summary>
    public static Resolved Resolve(string policy, IReadOnlyDictionary<string, string> parameters)
    {
        try
        {
            var takes = PolicyCatalog.ParameterNames(policy);
            var effective = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var ignored = new List<string>();
            foreach (var (name, value) in parameters)
            {
                if (IsModFastCgi(name) && !takes.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    ignored.Add(name);
                }
                else
                {
                    effective[name] = value;
                }
            }

            try
            {
                return new Resolved(PolicyCatalog.Resolve(policy, effective), ignored, null);
            }
            catch (PolicyConfigurationException ex)
            {
                return new Resolved(null, ignored, ex.Message);
            }
        }
        catch (PolicyConfigurationException ex) when (ex.Kind == PolicyErrorKind.UnknownPolicy)
        {
            return new Resolved(null, [], ex.Message);
        }
    }

    private static bool IsModFastCgi(string parameter) =>
        ModFastCgiParameters.Any(p => string.Equals(p.Parameter, parameter, StringComparison.OrdinalIgnoreCase));
}
