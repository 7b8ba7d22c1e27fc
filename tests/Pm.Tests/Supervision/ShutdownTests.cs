using System.Diagnostics;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>SIGTERM to the PM: every group gets SIGTERM, what ignores it gets SIGKILL, nothing is left.</summary>
[Collection(RealProcesses.Name)]
public sealed class ShutdownTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 60_000)]
    public async Task AppIgnoringSigtermWithAGrandchild_AfterTheGracePeriod_IsFullyGone()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("stubborn", Paths.TestApp);
        var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            PmShutdownTimeout 1
            FastCgiServer {app} -arg ignore-term -arg {dir.Path} -processes 2
            """);
        await using (pm)
        {
            for (var i = 0; i < 2; i++)
            {
                await pm.WaitForLineAsync(l => l.Contains("]: grandchild ", StringComparison.Ordinal), Wait, skip: 0);
            }

            await WaitUntil(() => ProcessScan.WithCommandLine(dir.Path).Count(p => p.CommandLine.Contains(" grandchild ", StringComparison.Ordinal)) >= 2,
                Wait, "both instances' grandchildren in the process table");
            (await pm.StopAsync(Wait)).Should().Be(0);

            ProcessScan.WithCommandLine(dir.Path).Should().BeEmpty("grandchildren in the group are killed too");
            pm.Output.Should().Contain("did not exit within its grace period after SIGTERM: SIGKILL");
            Directory.EnumerateFileSystemEntries(dir.IpcDir).Should().NotContain(p => p.EndsWith(".sock", StringComparison.Ordinal) || p.EndsWith("pm.lock", StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Shutdown_RemovesTheAppSockets_AndExits0()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", NativeApps.HelloC);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket hello -processes 3
            """);
        File.Exists(Path.Combine(dir.IpcDir, "hello")).Should().BeTrue();
        File.Exists(Path.Combine(dir.IpcDir, "pm.sock")).Should().BeTrue();

        (await pm.StopAsync(Wait)).Should().Be(0);

        File.Exists(Path.Combine(dir.IpcDir, "hello")).Should().BeFalse();
        File.Exists(Path.Combine(dir.IpcDir, "pm.sock")).Should().BeFalse();
        pm.Output.Should().Contain("shutdown complete");
    }

    [Fact(Timeout = 60_000)]
    public async Task SecondPm_OnTheSameIpcDir_RefusesToStart()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", NativeApps.HelloC);
        await using var first = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket hello
            """);

        var second = PmProcess.Start(dir.Path, dir.File("pm.conf"), "run", dir.IpcDir);
        try
        {
            await second.WaitForExitAsync(Wait);
            second.ExitCode.Should().Be(1);
            second.Output.Should().Contain($"another PM (pid {first.Pid}) is already running with IPC dir {dir.IpcDir}");
            (await first.StopAsync(Wait)).Should().Be(0);
        }
        finally
        {
            // Only now, with the first PM stopped, can "nothing left behind" be checked for the second.
            await second.DisposeAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Pm_AsPid1_RefusesWithAMessageThatSaysWhatToDo()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", NativeApps.HelloC);
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket hello
            """);

        // unshare(1) gives pm a new PID namespace in which it is PID 1 (needs root, as CI runs).
        var info = new ProcessStartInfo("unshare", ["--pid", "--fork", "--mount-proc", Paths.Pm, "run", config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Wait);
        await process.WaitForExitAsync(cts.Token);

        process.ExitCode.Should().Be(1);
        (await stderr + await stdout).Should().Contain("pm is running as PID 1").And.Contain("tini");
        (await Leftovers.WaitUntilGoneAsync(dir.Path, TimeSpan.FromSeconds(3))).Should().BeEmpty();
    }

    [Fact(Timeout = 60_000)]
    public async Task Pm_WithPmStopWithParentAndItsParentKilled_StopsItsAppsAndExits()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", NativeApps.HelloC);
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket hello -processes 2
            """);

        // A shell stands for the parent (a test host, a supervisor script); it is then killed outright.
        var info = new ProcessStartInfo("/bin/sh", ["-c", $"PM_STOP_WITH_PARENT=1 {Paths.Pm} run {config} & wait"]) { UseShellExecute = false };
        using var shell = Process.Start(info)!;
        await WaitUntil(() => ProcessScan.WithCommandLine(dir.Path).Count(p => p.CommandLine.StartsWith(app, StringComparison.Ordinal)) >= 2,
            Wait, $"both instances of {app} running");
        shell.Kill();

        (await Leftovers.WaitUntilGoneAsync(dir.Path, Wait)).Should().BeEmpty("the PM saw its parent die and stopped everything");
        File.Exists(Path.Combine(dir.IpcDir, "hello")).Should().BeFalse("it shut down properly, removing its sockets");
    }
}
