using System.Globalization;
using Pm.Posix;

namespace Pm.Diagnosis;

/// <summary>
/// How much memory a process (or, summed, a process group) holds, from /proc/PID/smaps_rollup:
/// <list type="bullet">
/// <item><see cref="RssBytes"/>: every page mapped and resident, shared ones counted in full (what ps shows).</item>
/// <item><see cref="PssBytes"/>: each page divided by the number of processes mapping it; sums to real use over the system.</item>
/// <item><see cref="PrivateBytes"/>: USS, Private_Clean + Private_Dirty, the pages only this process maps: what
/// killing it would give back. Copy-on-write pages a forked child still shares with its parent are not private,
/// so a php-cgi parent's preloaded code and its children's copies count once in RSS per process but not here.</item>
/// </list>
/// Constraints: the kernel walks the page tables of every mapping to produce smaps_rollup (holding the mm's read
/// lock), so a read costs in proportion to the resident pages, not to the 1 KB of text; it is read into a stack
/// buffer with one open, pread and close, and parsed from the bytes, without a string (pm-bench memsample measures
/// it). A process without memory (a zombie, a kernel thread) fails the read with ESRCH, one without ptrace read
/// access to it with EACCES, one gone with ENOENT: all read as null.
/// </summary>
public readonly record struct MemoryUsage(long RssBytes, long PssBytes, long PrivateBytes)
{
    /// <summary>smaps_rollup is about 1 KB (some 25 lines); the fields used are in its first 400 bytes.</summary>
    private const int BufferSize = 4096;

    private const long Kibi = 1024;

    public static MemoryUsage operator +(MemoryUsage a, MemoryUsage b) =>
        new(a.RssBytes + b.RssBytes, a.PssBytes + b.PssBytes, a.PrivateBytes + b.PrivateBytes);

    /// <summary>
    /// Parses the text of /proc/PID/smaps_rollup: lines "Name:   1234 kB" after a header line of address range and
    /// "[rollup]". Rss, Pss, Private_Clean and Private_Dirty are used, the others ignored. Null when there is no
    /// well-formed Rss line (an empty text, say); a missing Pss or Private_* line counts 0.
    /// </summary>
    public static MemoryUsage? Parse(ReadOnlySpan<byte> smapsRollup)
    {
        long? rss = null;
        long pss = 0, privateClean = 0, privateDirty = 0;
        var rest = smapsRollup;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = Kilobytes(line[(colon + 1)..]);
            if (name.SequenceEqual("Rss"u8))
            {
                rss = value ?? rss;
            }
            else if (name.SequenceEqual("Pss"u8))
            {
                pss = value ?? 0;
            }
            else if (name.SequenceEqual("Private_Clean"u8))
            {
                privateClean = value ?? 0;
            }
            else if (name.SequenceEqual("Private_Dirty"u8))
            {
                privateDirty = value ?? 0;
            }
        }

        return rss is { } r ? new MemoryUsage(r, pss, privateClean + privateDirty) : null;
    }

    /// <summary>"   1234 kB" → 1234 × 1024; null if it is not a count of kB (or would overflow).</summary>
    private static long? Kilobytes(ReadOnlySpan<byte> field)
    {
        var text = field.Trim(" \t\r"u8);
        if (!text.EndsWith(" kB"u8))
        {
            return null;
        }

        var digits = text[..^3].TrimEnd((byte)' ');
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) && kb <= long.MaxValue / Kibi
            ? kb * Kibi
            : null;
    }

    /// <summary>Reads and parses /proc/PID/smaps_rollup; null when the process is gone, unreadable, a zombie or a kernel thread.</summary>
    public static MemoryUsage? Read(int pid)
    {
        Span<byte> buffer = stackalloc byte[BufferSize];
        int length;
        try
        {
            // open, pread, close: File.OpenHandle would add an fstat and a flock and its release on every sample.
            var fd = PosixFile.OpenReadOnlyNonBlocking(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/smaps_rollup"));
            try
            {
                length = ReadWholeLines(fd, buffer);
            }
            finally
            {
                FileDescriptor.Close(fd);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // PosixException is an IOException: ENOENT (gone), ESRCH (a zombie or kernel thread), EACCES (no ptrace access).
            return null;
        }

        return Parse(buffer[..length]);
    }

    /// <summary>
    /// Reads until end of file, a full buffer, or text that ends at a line's end: a seq_file hands a single record
    /// such as smaps_rollup over whole in one read when the buffer holds it, so one pread usually suffices and the
    /// read that would only find end of file is spared.
    /// </summary>
    private static int ReadWholeLines(int fd, Span<byte> buffer)
    {
        var length = 0;
        while (length < buffer.Length)
        {
            var n = PosixFile.ReadAt(fd, buffer[length..], length);
            length += n;
            if (n == 0 || buffer[length - 1] == (byte)'\n')
            {
                break;
            }
        }

        return length;
    }

    /// <summary>
    /// The memory of every process in each of <paramref name="groups"/>, summed per group, from one pass over /proc
    /// (<see cref="ProcStat.ScanGroups"/>) and one smaps_rollup read per member. A group with no member that could
    /// be read (all gone, zombies or unreadable) is absent from the result rather than reported as 0 bytes.
    /// </summary>
    /// <remarks>
    /// A pid that exits between the scan and the read is skipped; one reused by an unrelated process in that window
    /// (microseconds; pids are handed out in order) would be counted once, which a sampler tolerates.
    /// </remarks>
    public static Dictionary<int, MemoryUsage> OfGroups(IReadOnlySet<int> groups) =>
        GroupUsage.OfGroups(groups).Where(g => g.Value.Memory is not null).ToDictionary(g => g.Key, g => g.Value.Memory!.Value);

    /// <summary>
    /// A size for people, in binary units written as ps, top and the kernel write them: "kB" is KiB (1024 bytes),
    /// "MB" MiB, "GB" GiB, "TB" TiB. One decimal below 10 of a unit, whole numbers above: "640 kB", "4.5 MB",
    /// "312 MB", "1.2 GB"; under 1 kB in bytes, "512 B".
    /// </summary>
    public static string Size(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes < Kibi)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        ReadOnlySpan<string> units = ["kB", "MB", "GB", "TB", "PB"];
        var unit = 0;
        var value = bytes / (double)Kibi;
        while (unit < units.Length - 1 && Math.Round(value, value < 10 ? 1 : 0) >= Kibi)
        {
            value /= Kibi;
            unit++;
        }

        return value < 9.95
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0} {units[unit]}");
    }
}
