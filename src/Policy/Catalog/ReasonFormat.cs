using System.Globalization;
using Pm.Shared;

namespace Pm.Policy;

/// <summary>Number formatting for reasons and summaries: invariant, short, unit included. Durations are <see cref="DurationFormat"/>'s.</summary>
internal static class ReasonFormat
{

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string Plural(int count, string singular, string plural) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : plural);
}
