using System.Globalization;

namespace Pm.Config;

/// <summary>
/// The options given on one directive, checked against <see cref="OptionTable"/>: known names, values present,
/// numbers within bounds, non-repeatable options given once. Options unknown to the table are errors, except on
/// FastCgiConfig and PmDynamicRoot where they are handed to the scaling policy as its parameters.
/// </summary>
public sealed class OptionValues
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.OrdinalIgnoreCase);

    private OptionValues()
    {
    }

    /// <summary>Options not in the table, for the scaling policy (name without dash → value).</summary>
    public Dictionary<string, string> PolicyParameters { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static OptionValues Parse(Directive d, int firstOption, OptionScope scope, Action<string> error)
    {
        var result = new OptionValues();
        var args = d.Arguments;
        for (var i = firstOption; i < args.Count; i++)
        {
            var word = args[i];
            if (!word.StartsWith('-') || word.Length < 2)
            {
                error($"expected an option (-name), found '{word}'");
                continue;
            }

            var name = word[1..];
            var spec = OptionTable.Find(name, scope);
            if (spec is null)
            {
                if ((scope & (OptionScope.Dynamic | OptionScope.DynamicRoot)) != 0 && i + 1 < args.Count && !IsOption(args[i + 1]))
                {
                    result.PolicyParameters[name] = args[++i];
                    continue;
                }

                var other = OptionTable.Find(name, OptionScope.Static | OptionScope.External | OptionScope.Dynamic | OptionScope.DynamicRoot);
                error(other is not null
                    ? $"option -{other.Name} is not valid here (it applies to {Describe(other.Scope)})"
                    : $"unknown option '{word}'");

                // Skip its value too, so one mistake gives one error.
                if (other?.Kind != OptionKind.Flag && i + 1 < args.Count && !IsOption(args[i + 1]))
                {
                    i++;
                }

                continue;
            }

            if (spec.Kind == OptionKind.Flag)
            {
                result.Add(spec, "on", error);
                continue;
            }

            if (i + 1 >= args.Count)
            {
                error($"option -{spec.Name} needs a value");
                continue;
            }

            var value = args[++i];
            if (Check(spec, value) is { } problem)
            {
                error($"invalid value for -{spec.Name}: {problem}");
                continue;
            }

            result.Add(spec, value, error);
        }

        return result;
    }

    private static bool IsOption(string word) =>
        word.Length > 1 && word[0] == '-' && !char.IsDigit(word[1]) && word[1] != '.';

    private static string Describe(OptionScope scope)
    {
        var names = new List<string>();
        if (scope.HasFlag(OptionScope.Static)) names.Add("FastCgiServer");
        if (scope.HasFlag(OptionScope.External)) names.Add("FastCgiExternalServer");
        if (scope.HasFlag(OptionScope.Dynamic)) names.Add("FastCgiConfig");
        if (scope.HasFlag(OptionScope.DynamicRoot)) names.Add("PmDynamicRoot");
        return string.Join(", ", names);
    }

    private void Add(OptionSpec spec, string value, Action<string> error)
    {
        if (!_values.TryGetValue(spec.Name, out var list))
        {
            _values[spec.Name] = list = [];
        }
        else if (!spec.Repeatable)
        {
            error($"option -{spec.Name} given more than once");
            return;
        }

        list.Add(value);
    }

    /// <summary>What is wrong with <paramref name="value"/> for <paramref name="spec"/>; null when nothing is.</summary>
    internal static string? Check(OptionSpec spec, string value)
    {
        switch (spec.Kind)
        {
            case OptionKind.Integer:
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                {
                    return $"\"{value}\" is not a whole number";
                }

                if (n < spec.Min || n > spec.Max)
                {
                    return spec.Max == double.MaxValue
                        ? $"\"{value}\" must be >= {spec.Min}"
                        : $"\"{value}\" must be between {spec.Min} and {spec.Max}";
                }

                return null;
            case OptionKind.Decimal:
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
                {
                    return $"\"{value}\" is not a number";
                }

                return x < spec.Min || x > spec.Max ? $"\"{value}\" is not between {spec.Min} and {spec.Max}" : null;
            default:
                return value.Length == 0 ? "empty value" : null;
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>Whether <paramref name="other"/> gives the same options with the same values (a reload's comparison).</summary>
    public bool SameAs(OptionValues other) =>
        _values.Count == other._values.Count && PolicyParameters.Count == other.PolicyParameters.Count &&
        _values.All(kv => other._values.TryGetValue(kv.Key, out var v) && v.SequenceEqual(kv.Value, StringComparer.Ordinal)) &&
        PolicyParameters.All(kv => other.PolicyParameters.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public string? Text(string name) => _values.TryGetValue(name, out var v) ? v[0] : null;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var v) ? v : [];

    public bool Flag(string name) => _values.ContainsKey(name);

    public int Integer(string name) =>
        int.Parse(Text(name) ?? Spec(name).Default, CultureInfo.InvariantCulture);

    public double Decimal(string name) =>
        double.Parse(Text(name) ?? Spec(name).Default, CultureInfo.InvariantCulture);

    public TimeSpan Seconds(string name) => TimeSpan.FromSeconds(Integer(name));

    private static OptionSpec Spec(string name) =>
        OptionTable.All.First(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
