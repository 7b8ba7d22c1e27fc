using System.Globalization;
using System.Text;
using Pm.Posix;

namespace Pm.Diagnosis;

/// <summary>What one process of a diagnosed group is doing, read from /proc: a process gone meanwhile reads as <see cref="Gone"/>.</summary>
public sealed record ProcessReport(
    int Pid,
    string Command,
    char State,
    string Wchan,
    string Syscall,
    string KernelStack,
    TimeSpan Cpu,
    TimeSpan? CpuSinceBaseline,
    long RssBytes,
    long PrivateBytes,
    int Sockets,
    IReadOnlyList<string> Threads,
    bool Gone)
{
    private const int MaxThreads = 64;

    public static ProcessReport Read(int pid, ProcStat? known, IReadOnlyDictionary<int, TimeSpan>? baseline)
    {
        var dir = $"/proc/{pid}";
        if ((known ?? ProcStat.Read(dir + "/stat")) is not { } stat)
        {
            return new ProcessReport(pid, "?", '?', "", "", "", TimeSpan.Zero, null, 0, 0, 0, [], Gone: true);
        }

        TimeSpan? since = baseline is not null && baseline.TryGetValue(pid, out var before) ? stat.Cpu - before : null;
        var (rss, priv) = Memory(dir);
        return new ProcessReport(pid, CommandLine(dir) ?? stat.Command, stat.State, Text(dir + "/wchan"), SyscallState.Read(dir + "/syscall"),
            Text(dir + "/stack"), stat.Cpu, since, rss, priv, UnixSocketTable.SocketInodesOf(pid).Count, ThreadLines(pid), Gone: false);
    }

    /// <summary>The process in a few lines of the diagnosis block.</summary>
    public string Describe()
    {
        if (Gone)
        {
            return $"  pid {Pid}: gone";
        }

        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"  pid {Pid} {Command}: {State} ({ProcStat.StateWord(State)}), in {Syscall}, wchan {Show(Wchan)}\n");
        b.Append(CultureInfo.InvariantCulture, $"    cpu {Cpu.TotalSeconds:0.00} s");
        if (CpuSinceBaseline is { } since)
        {
            b.Append(CultureInfo.InvariantCulture, $" ({since.TotalSeconds:0.00} s since it was last seen idle)");
        }

        b.Append(CultureInfo.InvariantCulture, $", rss {Mb(RssBytes)}, private {Mb(PrivateBytes)}, {Sockets} socket(s) open\n");
        if (Threads.Count > 1)
        {
            foreach (var t in Threads)
            {
                b.Append("    thread ").Append(t).Append('\n');
            }
        }

        b.Append("    kernel stack: ");
        b.Append(KernelStack.Length == 0 ? "not readable (root only)\n" : "\n      " + KernelStack.TrimEnd().Replace("\n", "\n      ", StringComparison.Ordinal) + "\n");
        return b.ToString().TrimEnd('\n');
    }

    internal static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private static string Show(string wchan) => wchan is "" or "0" ? "-" : wchan;

    private static List<string> ThreadLines(int pid)
    {
        var lines = new List<string>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return lines;
        }

        Array.Sort(tasks, StringComparer.Ordinal);
        foreach (var task in tasks.Take(MaxThreads))
        {
            if (ProcStat.Read(task + "/stat") is { } t)
            {
                lines.Add($"{Path.GetFileName(task)} {t.Command}: {t.State} in {SyscallState.Read(task + "/syscall")}, wchan {Show(Text(task + "/wchan"))}");
            }
        }

        if (tasks.Length > MaxThreads)
        {
            lines.Add($"... and {tasks.Length - MaxThreads} more threads");
        }

        return lines;
    }

    private static (long Rss, long Private) Memory(string dir)
    {
        long rss = 0, priv = 0;
        try
        {
            foreach (var line in File.ReadLines(dir + "/smaps_rollup"))
            {
                if (line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    rss = Kb(line);
                }
                else if (line.StartsWith("Private_Clean:", StringComparison.Ordinal) || line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                {
                    priv += Kb(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone, or not ours to read.
        }

        return (rss, priv);
    }

    /// <summary>"Rss:    3120 kB" → bytes.</summary>
    internal static long Kb(string line)
    {
        var colon = line.IndexOf(':');
        var value = line[(colon + 1)..].Trim();
        var space = value.IndexOf(' ');
        return long.TryParse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0;
    }

    private static string Text(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? CommandLine(string dir)
    {
        var raw = Text(dir + "/cmdline");
        if (raw.Length == 0)
        {
            return null;
        }

        var line = raw.Replace('\0', ' ').Trim();
        return line.Length > 200 ? line[..200] + "..." : line;
    }
}
