using System.Globalization;

namespace Pm.Shared;

/// <summary>
/// Durations for people to read, in reasons, errors and reports: invariant culture, unit included.
/// <para>
/// Shared source, not a shared assembly: Policy depends on nothing but the BCL and Protocol on Posix alone, so no
/// project lies below both. Each project that formats durations compiles this file in as its own internal type
/// (<c>&lt;Compile Include="../Shared/DurationFormat.cs" Link="Shared/DurationFormat.cs" /&gt;</c>).
/// </para>
/// </summary>
internal static class DurationFormat
{
    private static readonly string[] SecondsFormats = ["0", "0.#", "0.##", "0.###", "0.####", "0.#####", "0.######", "0.#######"];

    /// <summary>"1.5 s", "0.25 s", "60 s": seconds with at most <paramref name="decimals"/> decimals (0 to 7), trailing zeros dropped.</summary>
    public static string Seconds(TimeSpan value, int decimals = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, SecondsFormats.Length - 1);
        return value.TotalSeconds.ToString(SecondsFormats[decimals], CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>"1.500 s": exactly three decimals, for figures printed in columns or compared side by side.</summary>
    public static string SecondsFixed(TimeSpan value) =>
        value.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    /// <summary>"50 ms", "0.5 ms": every digit of the millisecond count, for limits configured in milliseconds.</summary>
    public static string Milliseconds(TimeSpan value) =>
        value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms";

    /// <summary>
    /// "42s", "3m07s", "5h02m", "2d03h": an age or uptime in a status column, with <paramref name="secondDecimals"/>
    /// decimals under a minute; negative ages (clocks a little apart) read as "0s".
    /// </summary>
    public static string Compact(TimeSpan value, int secondDecimals = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondDecimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(secondDecimals, SecondsFormats.Length - 1);
        return value.TotalSeconds < 0 ? "0s"
            : value.TotalSeconds < 60 ? value.TotalSeconds.ToString(SecondsFormats[secondDecimals], CultureInfo.InvariantCulture) + "s"
            : value.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalMinutes}m{value.Seconds:00}s")
            : value.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalHours}h{value.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalDays}d{value.Hours:00}h");
    }
}
