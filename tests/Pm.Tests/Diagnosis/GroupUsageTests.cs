using System.Globalization;
using Pm.Diagnosis;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Diagnosis;

/// <summary>A process group's CPU and memory from one pass over /proc, on a real group of shells.</summary>
[Collection(RealProcesses.Name)]
public sealed class GroupUsageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task OfGroups_AParentAndItsChildThatBurnedCpu_SumsTheCpuOfEveryMember()
    {
        // Two shells count to 100000 (some CPU each), then each waits in a sleep: the figures then stay put.
        var marker = string.Create(CultureInfo.InvariantCulture, $"61.{Random.Shared.Next(100000, 999999)}");
        var script = $"burn() {{ i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; }}; (burn; sleep {marker}) & burn; sleep {marker}";
        var pid = PosixSpawn.Start(new SpawnOptions { Path = "/bin/sh", Arguments = ["/bin/sh", "-c", script] });
        try
        {
            await WaitUntil(() => ProcessScan.All().Count(p => p.ProcessGroup == pid && p.CommandLine == $"sleep {marker}") == 2, Wait, "both shells to be done counting");
            var members = ProcessScan.All().Where(p => p.ProcessGroup == pid).Select(p => p.Pid).ToList();

            var usage = GroupUsage.OfGroups(new HashSet<int> { pid, int.MaxValue });

            usage.Keys.Should().Equal([pid], "a group with no process is left out");
            members.Should().HaveCountGreaterThanOrEqualTo(3, "the shell, its sleep, and the subshell or the sleep it became");
            var expected = members.Select(m => ProcStat.Read($"/proc/{m}/stat")!.Value.Cpu).Aggregate(TimeSpan.Zero, (a, b) => a + b);
            // A sleep just exec'd may still take a tick while it starts: one tick (10 ms) of slack.
            usage[pid].Cpu.Should().BeCloseTo(expected, TimeSpan.FromMilliseconds(10));
            usage[pid].Cpu.Should().BePositive("counting to 100000 twice in sh takes some ticks");
            usage[pid].Memory.Should().NotBeNull();
            usage[pid].Memory!.Value.RssBytes.Should().BePositive();
        }
        finally
        {
            ChildProcess.SignalGroup(pid, Signals.SIGKILL);
            ChildProcess.WaitPidExited(pid);
        }

        (await Leftovers.WaitUntilGoneAsync(marker, TimeSpan.FromSeconds(5))).Should().BeEmpty();
    }
}
