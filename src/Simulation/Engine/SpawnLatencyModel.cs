using System.Globalization;

namespace Pm.Simulation;

/// <summary>How long a spawned instance takes before it accepts requests.</summary>
public abstract record SpawnLatencyModel
{
    public abstract TimeSpan Next(Random random);

    /// <summary>
    /// Parses <c>fixed:SECONDS</c> or <c>lognormal:MEDIAN_SECONDS:SIGMA</c> (e.g. <c>lognormal:0.15:0.5</c>).
    /// </summary>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static SpawnLatencyModel Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        switch (parts[0].Trim().ToLowerInvariant())
        {
            case "fixed" when parts.Length == 2 && TrySeconds(parts[1], out var fixedLatency):
                return new FixedSpawnLatency(fixedLatency);
            case "lognormal" when parts.Length == 3 && TrySeconds(parts[1], out var median)
                && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var sigma)
                && sigma >= 0 && double.IsFinite(sigma):
                return new LogNormalSpawnLatency(median, sigma);
            default:
                throw new FormatException($"spawn latency '{text}' is neither fixed:SECONDS nor lognormal:MEDIAN_SECONDS:SIGMA");
        }
    }

    private static bool TrySeconds(string text, out TimeSpan value)
    {
        value = default;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds < 0 || seconds > 3600)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
