using System.Text.RegularExpressions;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>
/// PmLogFile as logrotate uses it: every line the PM logs, its apps' included, is appended to the file too; after the
/// file is moved away, SIGUSR1 makes a new one at the path, which gets the later lines while the moved one keeps the
/// earlier ones. A file that cannot be opened stops the start, one that cannot be reopened or written leaves the log
/// on the console, and both say so. Outside journald the console's lines carry no event id.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed partial class LogFileTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task AfterMvAndSigusr1_ANewFileGetsTheLaterLines_AndTheMovedOneKeepsTheEarlierOnes()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("sayapp", Paths.TestApp);
        var log = dir.Write("pm.log", "a line from before this PM\n");
        var rotated = dir.File("pm.log.1");
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nPmLogFile {log}\nFastCgiServer {app} -arg say -arg hello");
        var first = (await Eventually.ReadyInstancesAsync(pm, app, 1, Wait)).Single().Pid;
        await pm.WaitForLineAsync(l => l.Contains($"{app}[{first}]: hello", StringComparison.Ordinal), Wait);

        File.Move(log, rotated);
        ChildProcess.SignalProcess(pm.Pid, Signals.SIGUSR1);
        await pm.WaitForLineAsync(l => l.Contains($"SIGUSR1: log file reopened: {log}", StringComparison.Ordinal), Wait);
        ChildProcess.SignalProcess(first, Signals.SIGKILL);
        int? second = null;
        await Eventually.Until(async () => (second = (await pm.StatusAsync()).Apps.Single().Instances.SingleOrDefault(i => i.Pid != first && i.State == "idle")?.Pid) is not null, Wait);
        await pm.WaitForLineAsync(l => l.Contains($"{app}[{second}]: hello", StringComparison.Ordinal), Wait);
        (await pm.StopAsync(Wait)).Should().Be(0);

        // The PM writes out its file before it exits: what is in the files now is all there will be.
        var before = File.ReadAllText(rotated);
        var after = File.ReadAllText(log);
        before.Should().StartWith("a line from before this PM\n", "the file is appended to, not truncated")
            .And.Contain($"{app}[{first}]: hello", "the lines the PM relays from its apps go to the file too")
            .And.Contain(" running ")
            .And.NotContain("log file reopened").And.NotContain($"[{second}]");
        after.Should().Contain($"SIGUSR1: log file reopened: {log}")
            .And.Contain($"{app}[{second}]: hello").And.Contain("shutdown complete")
            .And.NotContain($"{app}[{first}]: hello").And.NotContain(" running ");
        File.GetUnixFileMode(log).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "the PM creates its log file 0640");
        after.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().OnlyContain(l => PlainLine().IsMatch(l), "one timestamped line per event");
    }

    [Fact(Timeout = 60_000)]
    public async Task OutsideJournald_ConsoleLines_AreTimestampLevelCategoryMessage_WithoutAnEventId()
    {
        using var dir = new TestDirectory();
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nFastCgiServer {NativeApps.HelloC}");
        (await pm.StopAsync(Wait)).Should().Be(0);

        var complete = pm.Lines.Single(l => l.Contains("shutdown complete", StringComparison.Ordinal));
        PlainLine().IsMatch(complete).Should().BeTrue(complete);
        complete.Should().Contain(" info: pm shutdown complete").And.NotContain("pm[0]");
    }

    [Fact(Timeout = 60_000)]
    public async Task ALogFileThatCannotBeOpened_StopsTheStart_NamingIt()
    {
        using var dir = new TestDirectory();
        // /proc exists (so the config is valid) but no file can be created in it, not even by root.
        var log = $"/proc/pm-test-{Guid.NewGuid():N}.log";
        var config = dir.Write("pm.conf", $"FastCgiIpcDir {dir.IpcDir}\nPmLogFile {log}\nFastCgiServer {NativeApps.HelloC}\n");
        await using var pm = PmProcess.Start(dir.Path, config, "run", dir.IpcDir);
        await pm.WaitForExitAsync(Wait);

        pm.ExitCode.Should().Be(1);
        pm.Output.Should().Contain($"pm: cannot start: cannot open the log file {log} (PmLogFile): ");
        Directory.Exists(dir.IpcDir).Should().BeFalse("nothing was started");
    }

    [Fact(Timeout = 60_000)]
    public async Task AFailedReopen_KeepsTheLogOnTheConsole_AndTheNextReopenSaysWhatTheFileMissed()
    {
        using var dir = new TestDirectory();
        Directory.CreateDirectory(dir.File("logs"));
        var log = dir.File("logs/pm.log");
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nPmLogFile {log}\nFastCgiServer {NativeApps.HelloC}");

        Directory.Move(dir.File("logs"), dir.File("logs.old"));
        ChildProcess.SignalProcess(pm.Pid, Signals.SIGUSR1);
        (await pm.WaitForLineAsync(l => l.Contains("SIGUSR1: cannot reopen", StringComparison.Ordinal), Wait))
            .Should().Contain($"cannot reopen the log file {log}: ").And.Contain("the log goes to the console only");
        Directory.CreateDirectory(dir.File("logs"));
        ChildProcess.SignalProcess(pm.Pid, Signals.SIGUSR1);
        await pm.WaitForLineAsync(l => l.Contains("SIGUSR1: log file reopened", StringComparison.Ordinal), Wait);
        (await pm.StopAsync(Wait)).Should().Be(0);

        File.ReadAllText(dir.File("logs.old/pm.log")).Should().Contain(" running ").And.NotContain("cannot reopen");
        File.ReadAllText(log).Should().Contain("1 line(s) are missing from this log file before this one: 1 could not be written (they went to the console)")
            .And.Contain("log file reopened").And.Contain("shutdown complete").And.NotContain("cannot reopen");
    }

    [Fact(Timeout = 60_000)]
    public async Task ALogFileThatCannotBeWritten_IsSaidOnceOnTheConsole_AndThePmRunsOn()
    {
        using var dir = new TestDirectory();
        // /dev/full opens, and every write to it fails with ENOSPC: a full disk.
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nPmLogFile /dev/full\nFastCgiServer {NativeApps.HelloC}");
        await pm.WaitForLineAsync(l => l.Contains("cannot write the log file /dev/full: ", StringComparison.Ordinal), Wait);
        (await pm.StatusAsync()).Apps.Single().Instances.Should().ContainSingle();
        (await pm.StopAsync(Wait)).Should().Be(0);

        pm.Lines.Count(l => l.Contains("cannot write the log file", StringComparison.Ordinal)).Should().Be(1, "said once, not once per line");
        pm.Output.Should().Contain("shutdown complete");
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (trce|dbug|info|warn|fail|crit): [a-z]+ \S")]
    private static partial Regex PlainLine();
}
