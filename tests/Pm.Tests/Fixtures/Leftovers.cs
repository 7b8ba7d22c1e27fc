using Pm.Posix;

namespace Pm.Tests.Fixtures;

/// <summary>Checks that no process carrying a test's marker is left, and kills any that is.</summary>
public static class Leftovers
{
    public static async Task<List<string>> WaitUntilGoneAsync(string marker, TimeSpan patience)
    {
        List<ProcessScan.Proc> alive = [];
        await TryWaitUntil(() => (alive = ProcessScan.WithCommandLine(marker)).Count == 0, patience, interval: TimeSpan.FromMilliseconds(20));

        foreach (var p in alive)
        {
            ChildProcess.SignalProcess(p.Pid, Signals.SIGKILL);
        }

        return alive.Select(p => $"{p.Pid} ({p.State}) {p.CommandLine}").ToList();
    }
}
