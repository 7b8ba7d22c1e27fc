using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pm.Config;
using Pm.Posix;
using Pm.Supervision;

namespace Pm.Diagnosis;

/// <summary>
/// The PM's <see cref="IInstanceDiagnoser"/>: for the instance and every process of its group (leader first), what
/// /proc says (<see cref="ProcessReport"/>), then backtraces of every thread where eu-stack or gdb is installed
/// (<see cref="Backtraces"/>, 5 s in all). With -diagnose-signal the group gets that signal first, and a moment to
/// print its own backtrace (which reaches the log through the instance's output pipe).
/// </summary>
public sealed class ProcDiagnoser(TimeProvider time, bool backtraces = true) : IInstanceDiagnoser
{
    /// <summary>How long an app gets to print its own backtrace after -diagnose-signal.</summary>
    public static readonly TimeSpan SignalWait = TimeSpan.FromMilliseconds(300);

    public async Task<DiagnosisOutcome> DiagnoseAsync(DiagnosisInput input, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"diagnosis of pid {input.Pid} (process group {input.ProcessGroup}): {input.Reason}");
        if (input.HeldFor is { } held)
        {
            b.Append(CultureInfo.InvariantCulture, $"; its request has run {held.TotalSeconds:0.0} s");
        }

        b.Append('\n');
        if (input.Signal is { } signal)
        {
            ChildProcess.SignalGroup(input.ProcessGroup, signal);
            b.Append(CultureInfo.InvariantCulture, $"  sent {InstanceLimits.SignalName(signal)} to the group at {time.GetUtcNow():HH:mm:ss.fff} (-diagnose-signal); its output is logged as the app's\n");
            await Task.Delay(SignalWait, time, cancel).ConfigureAwait(false);
        }

        var members = Members(input.Pid, input.ProcessGroup);
        var reports = members.Select(m => ProcessReport.Read(m.Pid, m.Stat, input.CpuBaseline)).ToList();
        b.Append(CultureInfo.InvariantCulture, $"  {reports.Count(r => !r.Gone)} process(es) in the group");
        if (input.BaselineAt is { } at)
        {
            b.Append(CultureInfo.InvariantCulture, $"; last seen idle at {at:HH:mm:ss.fff}");
        }

        b.Append('\n');
        foreach (var r in reports)
        {
            b.Append(r.Describe()).Append('\n');
        }

        if (backtraces)
        {
            b.Append(await Backtraces.TakeAsync(reports.Where(r => !r.Gone).Select(r => r.Pid).ToList(), Backtraces.Budget, cancel).ConfigureAwait(false)).Append('\n');
        }

        b.Append(CultureInfo.InvariantCulture, $"  (diagnosis took {clock.Elapsed.TotalMilliseconds:0} ms)");
        return new DiagnosisOutcome(b.ToString(), Summary(reports, input));
    }

    public IReadOnlyDictionary<int, IReadOnlyDictionary<int, TimeSpan>> CpuOfGroups(IReadOnlySet<int> groups)
    {
        var result = new Dictionary<int, IReadOnlyDictionary<int, TimeSpan>>(groups.Count);
        foreach (var (group, members) in ProcStat.ScanGroups(groups))
        {
            result[group] = members.ToDictionary(m => m.Pid, m => m.Stat.Cpu);
        }

        return result;
    }

    public IReadOnlyDictionary<int, GroupUsage> UsageOfGroups(IReadOnlySet<int> groups) => GroupUsage.OfGroups(groups);

    /// <summary>The leader first, then the other members of its group by pid; the leader even if /proc no longer has it.</summary>
    private static List<(int Pid, ProcStat? Stat)> Members(int leader, int group)
    {
        var found = ProcStat.ScanGroups(new HashSet<int> { group }).GetValueOrDefault(group) ?? [];
        var list = new List<(int, ProcStat?)>();
        var own = found.FirstOrDefault(m => m.Pid == leader);
        list.Add((leader, own.Pid == leader ? own.Stat : null));
        foreach (var (pid, stat) in found.OrderBy(m => m.Pid))
        {
            if (pid != leader)
            {
                list.Add((pid, stat));
            }
        }

        return list;
    }

    /// <summary>One line for `pm status`: the process that matters most (the one in the request, else the leader).</summary>
    private static string Summary(List<ProcessReport> reports, DiagnosisInput input)
    {
        var live = reports.Where(r => !r.Gone).ToList();
        if (live.Count == 0)
        {
            return $"pid {input.Pid}: gone before it could be read";
        }

        // php-cgi's master waits in wait4 while a worker holds the request: show the busiest-looking one.
        var main = live.FirstOrDefault(r => !r.Syscall.StartsWith("wait4", StringComparison.Ordinal)) ?? live[0];
        var cpu = main.CpuSinceBaseline is { } since
            ? $"cpu {since.TotalSeconds:0.00} s since last seen idle"
            : $"cpu {main.Cpu.TotalSeconds:0.00} s in all";
        return string.Create(CultureInfo.InvariantCulture,
            $"pid {main.Pid} {main.State} ({ProcStat.StateWord(main.State)}) in {main.Syscall}, wchan {(main.Wchan is "" or "0" ? "-" : main.Wchan)}, {cpu}, rss {ProcessReport.Mb(main.RssBytes)} private {ProcessReport.Mb(main.PrivateBytes)}, {main.Sockets} socket(s); {live.Count} process(es) in its group");
    }
}
