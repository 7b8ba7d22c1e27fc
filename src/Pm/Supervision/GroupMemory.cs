using System.Globalization;

namespace Pm.Supervision;

/// <summary>
/// An instance's memory, summed over its process group: resident (RSS), proportional (PSS: shared pages divided
/// among their sharers) and private (USS: Private_Clean + Private_Dirty, the pages no other process maps). Private
/// is what -memory-limit judges: copy-on-write pages still shared with a preloading parent, and shared libraries,
/// count in RSS for every sharer but in nobody's private memory.
/// </summary>
public readonly record struct GroupMemory(long RssBytes, long PssBytes, long PrivateBytes)
{
    /// <summary>A size for people, in binary units as ps and top count them: "640 kB", "40.3 MB", "312 MB", "1.2 GB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1L << 20 => (bytes >> 10).ToString(CultureInfo.InvariantCulture) + " kB",
        < 100L << 20 when bytes % (1L << 20) != 0 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        < 10L << 30 => (bytes >> 20).ToString(CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
    };
}
