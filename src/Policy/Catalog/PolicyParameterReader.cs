using System.Globalization;

namespace Pm.Policy;

/// <summary>
/// Reads a policy's parameters from the configuration's strings: names without the leading dash, matched
/// case-insensitively and ignoring inner dashes and underscores, so mod_fastcgi's <c>init-start-delay</c> and
/// <c>initStartDelay</c> are the same parameter; durations are decimal seconds; switches accept on/off, true/false, yes/no, 1/0. Every error
/// names the parameter and repeats the value, and names nobody asked for are reported as unknown.
/// </summary>
internal sealed class PolicyParameterReader
{
    private readonly string _policyName;
    private readonly Dictionary<string, KeyValuePair<string, string>> _byName;
    private readonly HashSet<string> _consumed = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _known = [];

    public PolicyParameterReader(string policyName, IReadOnlyDictionary<string, string> parameters)
    {
        _policyName = policyName;
        _byName = new Dictionary<string, KeyValuePair<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in parameters)
        {
            var name = Normalize(pair.Key);
            if (!_byName.TryAdd(name, new KeyValuePair<string, string>(pair.Key, pair.Value)))
            {
                throw new PolicyConfigurationException(PolicyErrorKind.DuplicateParameter,
                    $"policy '{policyName}': parameter '{pair.Key}' is given twice (names are case-insensitive)", pair.Key);
            }
        }
    }

    public int Int(string name, int fallback)
    {
        if (!TryRaw(name, out var spelled, out var raw))
        {
            return fallback;
        }

        if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Bad(spelled, raw, "a whole number");
        }

        return value;
    }

    public double Number(string name, double fallback)
    {
        if (!TryRaw(name, out var spelled, out var raw))
        {
            return fallback;
        }

        if (!double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            throw Bad(spelled, raw, "a decimal number");
        }

        return value;
    }

    public TimeSpan Seconds(string name, TimeSpan fallback)
    {
        if (!TryRaw(name, out var spelled, out var raw))
        {
            return fallback;
        }

        // decimal, not double: "0.1" must become exactly 100 ms, not 99.999... ms.
        if (!decimal.TryParse(raw.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture, out var seconds)
            || seconds > (decimal)TimeSpan.MaxValue.TotalSeconds / 2
            || seconds < -(decimal)TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw Bad(spelled, raw, "a duration in seconds (decimal, e.g. 0.5)");
        }

        return TimeSpan.FromTicks((long)decimal.Round(seconds * TimeSpan.TicksPerSecond));
    }

    public bool Switch(string name, bool fallback)
    {
        if (!TryRaw(name, out var spelled, out var raw))
        {
            return fallback;
        }

        switch (raw.Trim().ToLowerInvariant())
        {
            case "on" or "true" or "yes" or "1":
                return true;
            case "off" or "false" or "no" or "0":
                return false;
            default:
                throw Bad(spelled, raw, "on or off");
        }
    }

    /// <summary>Throws for names the policy did not read, listing the ones it knows.</summary>
    public void RejectUnknown()
    {
        foreach (var (name, pair) in _byName)
        {
            if (!_consumed.Contains(name))
            {
                throw new PolicyConfigurationException(PolicyErrorKind.UnknownParameter,
                    $"policy '{_policyName}': unknown parameter '{pair.Key}'; known parameters: {string.Join(", ", _known)}",
                    pair.Key);
            }
        }
    }

    /// <summary>The names read so far, as the policy reads them; after its options' Read, every parameter it takes.</summary>
    public IReadOnlyList<string> Known => _known;

    /// <summary>How the parameters spelled <paramref name="name"/>; the name itself when it was not given.</summary>
    public string Spelled(string name) => _byName.TryGetValue(Normalize(name), out var pair) ? pair.Key : name;

    private bool TryRaw(string name, out string spelled, out string raw)
    {
        _known.Add(name);
        _consumed.Add(Normalize(name));
        if (_byName.TryGetValue(Normalize(name), out var pair))
        {
            spelled = pair.Key;
            raw = pair.Value ?? string.Empty;
            return true;
        }

        spelled = name;
        raw = string.Empty;
        return false;
    }

    private static string Normalize(string name) => name.Replace("-", "", StringComparison.Ordinal)
        .Replace("_", "", StringComparison.Ordinal).Trim();

    private PolicyConfigurationException Bad(string spelled, string raw, string expected) =>
        new(PolicyErrorKind.InvalidValue, $"policy '{_policyName}': parameter '{spelled}' = '{raw}' is not {expected}", spelled);
}
