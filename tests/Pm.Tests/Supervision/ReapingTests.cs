using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>No exited child of the PM stays a zombie for more than 50 ms.</summary>
[Collection(RealProcesses.Name)]
public sealed class ReapingTests
{
    [Fact(Timeout = 60_000)]
    public async Task ExitedInstances_AreReaped_Within50Ms()
    {
        using var dir = new TestDirectory();
        var sleeper = dir.Link("sleeper", "/bin/sleep");
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {sleeper} -arg 0.02 -processes 4 -restart-delay 0
            """);

        // Each instance exits 0 after 20 ms and is replaced at once: a steady stream of exits. Watch the PM's
        // children for zombies and measure how long each stays one.
        var zombieSince = new Dictionary<int, DateTime>();
        var longest = TimeSpan.Zero;
        var exits = 0;
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var core = pm.CorePid;
        while (DateTime.UtcNow < end)
        {
            var now = DateTime.UtcNow;
            var zombies = ProcessScan.ChildrenOf(core).Where(p => p.State == 'Z').Select(p => p.Pid).ToHashSet();
            foreach (var pid in zombies)
            {
                zombieSince.TryAdd(pid, now);
                var age = now - zombieSince[pid];
                longest = age > longest ? age : longest;
            }

            foreach (var gone in zombieSince.Keys.Where(p => !zombies.Contains(p)).ToList())
            {
                zombieSince.Remove(gone);
                exits++;
            }

            await Task.Delay(1);
        }

        pm.Lines.Count(l => l.Contains("exited: exit code 0", StringComparison.Ordinal)).Should().BeGreaterThan(20, "instances kept exiting");
        longest.Should().BeLessThan(TimeSpan.FromMilliseconds(50));
        (await pm.StopAsync(TimeSpan.FromSeconds(15))).Should().Be(0);
    }
}
