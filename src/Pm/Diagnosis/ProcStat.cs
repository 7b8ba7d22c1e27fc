using System.Globalization;

namespace Pm.Diagnosis;

/// <summary>
/// The fields of /proc/PID/stat a diagnosis needs. The command (field 2) is in parentheses and may hold spaces
/// and ')' itself, so the fields are counted from its last ')'. CPU times are in USER_HZ ticks, 100 per second on
/// every Linux (the /proc ABI fixes it, whatever the kernel's HZ).
/// </summary>
public readonly record struct ProcStat(string Command, char State, int ParentPid, int ProcessGroup, TimeSpan UserTime, TimeSpan SystemTime, int Threads,
    ulong StartTicks = 0)
{
    private const double TicksPerSecond = 100;

    public TimeSpan Cpu => UserTime + SystemTime;

    /// <summary>Parses the text of /proc/PID/stat; null if it is not one.</summary>
    public static ProcStat? Parse(string text)
    {
        var open = text.IndexOf('(');
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 > text.Length)
        {
            return null;
        }

        // After ") ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11) majflt(12)
        // cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) priority(18) nice(19) num_threads(20) itrealvalue(21)
        // starttime(22): with the pid, what proves a process is the one the PM started.
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0].Length != 1
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pgrp)
            || !ulong.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            || !ulong.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            || !int.TryParse(fields[17], NumberStyles.None, CultureInfo.InvariantCulture, out var threads)
            || !ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        return new ProcStat(text[(open + 1)..close], fields[0][0], ppid, pgrp,
            TimeSpan.FromSeconds(utime / TicksPerSecond), TimeSpan.FromSeconds(stime / TicksPerSecond), threads, start);
    }

    /// <summary>Reads /proc/PID/stat (or /proc/PID/task/TID/stat); null once the process is gone.</summary>
    public static ProcStat? Read(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The state letter in words, as ps(1) documents it.</summary>
    public static string StateWord(char state) => state switch
    {
        'R' => "running",
        'S' => "sleeping",
        'D' => "uninterruptible wait",
        'T' => "stopped",
        't' => "traced",
        'Z' => "zombie",
        'X' => "dead",
        'I' => "idle",
        _ => "state " + state,
    };

    /// <summary>Every process whose process group is one of <paramref name="groups"/>, by group, from one pass over /proc.</summary>
    public static Dictionary<int, List<(int Pid, ProcStat Stat)>> ScanGroups(IReadOnlySet<int> groups)
    {
        var found = new Dictionary<int, List<(int, ProcStat)>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (name.IsEmpty || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (Read(Path.Combine(dir, "stat")) is { } stat && groups.Contains(stat.ProcessGroup))
            {
                if (!found.TryGetValue(stat.ProcessGroup, out var list))
                {
                    found[stat.ProcessGroup] = list = [];
                }

                list.Add((pid, stat));
            }
        }

        return found;
    }
}
