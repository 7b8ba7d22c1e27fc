using System.Globalization;
using Pm.Policy;

namespace Pm.Config;

/// <summary>
/// Turns the options of FastCgiConfig and PmDynamicRoot into a scaling policy's parameters, checked by creating
/// the policy when the config is read, so mistakes surface with file and line.
/// mod_fastcgi's own FastCgiConfig options (-killInterval, -singleThreshold ...) are classic's parameters; a
/// policy that has no use for one of them simply does not take it (so an Apache config still reads unchanged
/// under another policy), and <see cref="Resolved.Ignored"/> lists them for the startup log. Options that
/// mod_fastcgi does not have are policy parameters and must be known to the chosen policy.
/// </summary>
internal static class PolicyValidator
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

    public sealed record Resolved(IReadOnlyDictionary<string, string> Parameters, IReadOnlyList<string> Ignored);

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

    public static bool IsModFastCgi(string parameter) =>
        ModFastCgiParameters.Any(p => string.Equals(p.Parameter, parameter, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks the policy and its parameters; the error names what is wrong.</summary>
    public static Resolved Resolve(string policy, IReadOnlyDictionary<string, string> parameters, out string? error)
    {
        var effective = new Dictionary<string, string>(parameters, StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        while (true)
        {
            try
            {
                _ = PolicyCatalog.Resolve(policy, effective);
                error = null;
                return new Resolved(effective, ignored);
            }
            catch (PolicyConfigurationException ex) when (ex.Kind == PolicyErrorKind.UnknownParameter && ex.ParameterName is { } name && IsModFastCgi(name))
            {
                effective.Remove(name);
                ignored.Add(name);
            }
            catch (PolicyConfigurationException ex)
            {
                error = ex.Message;
                return new Resolved(effective, ignored);
            }
        }
    }

    public static string Describe(IReadOnlyList<string> ignored, string policy) =>
        string.Create(CultureInfo.InvariantCulture,
            $"mod_fastcgi option{(ignored.Count == 1 ? "" : "s")} {string.Join(", ", ignored.Select(i => "-" + i))} do{(ignored.Count == 1 ? "es" : "")} not apply to policy '{policy}' and {(ignored.Count == 1 ? "is" : "are")} ignored");
}
