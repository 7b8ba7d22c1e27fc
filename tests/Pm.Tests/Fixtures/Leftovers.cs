using Pm.Posix;

namespace Pm.Tests.Fixtures;

/// <summary>Checks that no process carrying a test's marker is left, and kills any that is.</summary>
public static class Leftovers
{
    public static async Task<List<string>> WaitUntilGoneAsync(string marker, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        List<ProcessScan.Proc> alive;
        while ((alive = ProcessScan.WithCommandLine(marker)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        foreach (var p in alive)
        {
            ChildProcess.SignalProcess(p.Pid, Signals.SIGKILL);
        }

        return alive.Select(p => $"{p.Pid} ({p.State}) {p.CommandLine}").ToList();
    }
}
