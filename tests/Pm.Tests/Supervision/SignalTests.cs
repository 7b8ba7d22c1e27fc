using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>Every signal an operator may send to the pid `pm run` shows does something defined and logged, and none orphans anything.</summary>
[Collection(RealProcesses.Name)]
public sealed class SignalTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task Usr1AndUsr2_AreLoggedAndChangeNothing()
    {
        using var dir = new TestDirectory();
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nFastCgiServer {NativeApps.HelloC} -processes 2");
        var before = (await pm.StatusAsync()).Apps.Single().Instances.Select(i => i.Pid).ToList();

        ChildProcess.SignalProcess(pm.Pid, Signals.SIGUSR1);
        (await pm.WaitForLineAsync(l => l.Contains("SIGUSR1: ", StringComparison.Ordinal), Wait)).Should().Contain("nothing to reopen");
        ChildProcess.SignalProcess(pm.Pid, Signals.SIGUSR2);
        (await pm.WaitForLineAsync(l => l.Contains("SIGUSR2: ", StringComparison.Ordinal), Wait)).Should().Contain("ignored");

        pm.HasExited.Should().BeFalse();
        (await pm.StatusAsync()).Apps.Single().Instances.Select(i => i.Pid).Should().BeEquivalentTo(before);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(Signals.SIGALRM)]
    [InlineData(26)] // SIGVTALRM
    [InlineData(30)] // SIGPWR
    public async Task AnotherTerminatingSignal_StopsThePmCleanly_AsSigtermDoes(int signal)
    {
        using var dir = new TestDirectory();
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nFastCgiServer {NativeApps.HelloC} -processes 2");
        var instances = (await pm.StatusAsync()).Apps.Single().Instances.Select(i => i.Pid).ToList();

        ChildProcess.SignalProcess(pm.Pid, signal);

        await pm.WaitForExitAsync(Wait);
        pm.ExitCode.Should().Be(0, "the stop is the graceful one");
        pm.Output.Should().Contain($"{Signals.Name(signal)}: stopping, as on SIGTERM").And.Contain("shutdown complete");
        instances.Should().OnlyContain(pid => !ChildProcess.GroupExists(pid));
    }

    [Fact(Timeout = 60_000)]
    public async Task PmStatusAndPmStop_FindThePmThroughPmConfig()
    {
        using var dir = new TestDirectory();
        await using var pm = await PmProcess.StartAsync(dir, $"FastCgiIpcDir {dir.IpcDir}\nFastCgiServer {NativeApps.HelloC}");

        var (code, output) = await RunAsync(dir, "status");
        code.Should().Be(0, output);
        output.Should().Contain(NativeApps.HelloC);
        (code, output) = await RunAsync(dir, "stop");
        code.Should().Be(0, output);

        await pm.WaitForExitAsync(Wait);
        pm.ExitCode.Should().Be(0);
    }

    private static Task<(int Code, string Output)> RunAsync(TestDirectory dir, string command) =>
        PmCommand.RunAsync([command], new Dictionary<string, string> { ["PM_CONFIG"] = dir.File("pm.conf") });
}
