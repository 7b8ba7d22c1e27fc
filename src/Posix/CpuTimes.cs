using System.Globalization;

namespace Pm.Posix;

/// <summary>
/// The machine's CPU time so far, summed over its cores, from the "cpu" line of /proc/stat (in clock ticks): what
/// was idle (idle and iowait) and the total (user, nice, system, idle, iowait, irq, softirq, steal; guest time is
/// already inside user).
/// </summary>
public readonly record struct CpuTimes(ulong Idle, ulong Total)
{
    /// <summary>Reads /proc/stat now; null where it cannot be read or parsed.</summary>
    public static CpuTimes? Read()
    {
        try
        {
            using var stat = new StreamReader("/proc/stat");
            return stat.ReadLine() is { } first ? Parse(first) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses the aggregate line, "cpu  user nice system idle iowait irq softirq steal ..."; null if it is not one.</summary>
    public static CpuTimes? Parse(ReadOnlySpan<char> line)
    {
        if (!line.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return null;
        }

        Span<ulong> fields = stackalloc ulong[8];
        var count = 0;
        var rest = line[4..];
        while (count < fields.Length)
        {
            rest = rest.TrimStart(' ');
            if (rest.IsEmpty)
            {
                break;
            }

            var end = rest.IndexOf(' ');
            var token = end < 0 ? rest : rest[..end];
            if (!ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out fields[count]))
            {
                return null;
            }

            count++;
            rest = end < 0 ? [] : rest[end..];
        }

        // Kernels since 2.6.11 have all eight; older ones (no steal) are too old to run .NET.
        if (count < 5)
        {
            return null;
        }

        ulong total = 0;
        for (var i = 0; i < count; i++)
        {
            total += fields[i];
        }

        return new CpuTimes(fields[3] + fields[4], total);
    }
}
