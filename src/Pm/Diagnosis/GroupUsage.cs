namespace Pm.Diagnosis;

/// <summary>
/// What an instance's process group uses, sampled in one pass: its memory (<see cref="MemoryUsage"/>, null when no
/// member could be read) and the CPU time (user + system, /proc/PID/stat's utime + stime) of its live members.
/// </summary>
/// <remarks>
/// The CPU figure comes free with the memory sample: the scan of /proc that finds a group's members reads every
/// stat file anyway. Children that exited and were reaped inside the group (a php-cgi worker replaced by its
/// parent) leave the sum, so it can go down; a reader that wants a rate takes it between two samples and treats a
/// drop as "unknown".
/// </remarks>
public readonly record struct GroupUsage(MemoryUsage? Memory, TimeSpan Cpu)
{
    /// <summary>
    /// Every group of <paramref name="groups"/> that has a member in /proc: its CPU and memory. A group whose
    /// members are all gone is absent; one whose members are zombies or unreadable has a CPU figure and no memory.
    /// </summary>
    public static Dictionary<int, GroupUsage> OfGroups(IReadOnlySet<int> groups)
    {
        var sums = new Dictionary<int, GroupUsage>(groups.Count);
        foreach (var (group, members) in ProcStat.ScanGroups(groups))
        {
            MemoryUsage? memory = null;
            var cpu = TimeSpan.Zero;
            foreach (var (pid, stat) in members)
            {
                cpu += stat.Cpu;
                if (stat.State is not ('Z' or 'X') && MemoryUsage.Read(pid) is { } usage)
                {
                    memory = (memory ?? default) + usage;
                }
            }

            sums[group] = new GroupUsage(memory, cpu);
        }

        return sums;
    }
}
