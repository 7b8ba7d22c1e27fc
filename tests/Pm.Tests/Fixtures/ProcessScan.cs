using System.Globalization;

namespace Pm.Tests.Fixtures;

/// <summary>Reads /proc: which processes exist, their state, parent and process group.</summary>
public static class ProcessScan
{
    public sealed record Proc(int Pid, int ParentPid, int ProcessGroup, char State, string CommandLine);

    public static List<Proc> All()
    {
        var result = new List<Proc>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (Read(pid) is { } p)
            {
                result.Add(p);
            }
        }

        return result;
    }

    public static Proc? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

            // Fields after the parenthesised command name: state ppid pgrp ...
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return new Proc(pid, int.Parse(rest[1], CultureInfo.InvariantCulture), int.Parse(rest[2], CultureInfo.InvariantCulture), rest[0][0], cmdline);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Processes whose command line contains <paramref name="marker"/> (zombies have an empty one: see ChildrenOf).</summary>
    public static List<Proc> WithCommandLine(string marker) =>
        All().Where(p => p.CommandLine.Contains(marker, StringComparison.Ordinal)).ToList();

    public static List<Proc> ChildrenOf(int pid) => All().Where(p => p.ParentPid == pid).ToList();

    public static bool IsAlive(int pid) => Read(pid) is { State: not 'Z' and not 'X' };
}
