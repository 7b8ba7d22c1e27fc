using System.Globalization;

namespace Pm.FrontEnd.Status;

/// <summary>
/// How often the status page reloads itself (a &lt;meta http-equiv="refresh"&gt;, so no script): every
/// <see cref="DefaultSeconds"/> unless the address says <c>?refresh=N</c> (1 to <see cref="MaxSeconds"/>) or
/// <c>?refresh=none</c> (or 0, off).
/// </summary>
public static class Refresh
{
    public const int DefaultSeconds = 5;

    public const int MaxSeconds = 86_400;

    /// <summary>The interval (null: none), and what was wrong with the value given, if anything (the default is used then).</summary>
    public static (int? Seconds, string? Problem) FromQuery(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return (DefaultSeconds, null);
        }

        if (value is "none" or "off" or "0")
        {
            return (null, null);
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= MaxSeconds
            ? (seconds, null)
            : (DefaultSeconds, $"?refresh={value} is not a number of seconds (1 to {MaxSeconds}) or 'none': refreshing every {DefaultSeconds} s");
    }
}
