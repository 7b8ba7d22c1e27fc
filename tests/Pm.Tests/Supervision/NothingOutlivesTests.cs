using System.Diagnostics;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>Issue 8, part 6: when the PM dies by any means, kill -9 included, nothing of it is left within 1 s.</summary>
[Collection(RealProcesses.Name)]
public sealed class NothingOutlivesTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    /// <summary>The bound, plus a margin for a loaded 2-core test machine's scheduling.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1.5);

    [Fact(Timeout = 60_000)]
    public async Task KillMinus9OfTheWatchdog_LeavesNoInstanceNorGrandchild()
    {
        using var dir = new TestDirectory();
        await using var pm = await StartStubbornAsync(dir);
        Kill(pm.Pid);
        await AssertAllGoneAsync(dir);
    }

    [Fact(Timeout = 60_000)]
    public async Task KillMinus9OfTheCore_LeavesNoInstance_AndTheWatchdogSaysWhy()
    {
        using var dir = new TestDirectory();
        await using var pm = await StartStubbornAsync(dir);
        var core = ProcessScan.ChildrenOf(pm.Pid).Single();
        Kill(core.Pid);
        await AssertAllGoneAsync(dir);
        await pm.WaitForExitAsync(Wait);
        pm.ExitCode.Should().Be(137);
        pm.Output.Should().Contain($"the PM core (pid {core.Pid}) ended with killed by SIGKILL; stopped 2 leftover process groups");
    }

    [Fact(Timeout = 60_000)]
    public async Task KillMinus9OfPmServe_LeavesNoWebProcessNorInstance()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("stubborn", Paths.TestApp);
        var server = await Pm.Tests.FrontEnd.Support.FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -arg ignore-term -arg {dir.Path} -processes 2", webProcesses: 2);
        await using var pm = server.Pm;
        var stopwatch = Stopwatch.StartNew();
        while (Live(dir).Count(p => p.CommandLine.Contains(" web ", StringComparison.Ordinal)) < 2 && stopwatch.Elapsed < Wait)
        {
            await Task.Delay(20);
        }

        Live(dir).Should().Contain(p => p.CommandLine.Contains(" web ", StringComparison.Ordinal), "the web processes run");
        Kill(pm.Pid);
        await AssertAllGoneAsync(dir);
    }

    [Fact(Timeout = 90_000)]
    public async Task WatchdogAndCoreBothKilled_TheNextPmOnTheSameIpcDir_StopsTheLeftoversBeforeStartingItsOwn()
    {
        using var dir = new TestDirectory();
        List<int> old;
        await using (var crashed = await StartStubbornAsync(dir))
        {
            var core = crashed.CorePid;
            old = ProcessScan.ChildrenOf(core).Select(p => p.Pid).ToList();
            old.Should().HaveCount(2);

            // Stopped first, so neither can see the other die and clean up: a real crash of both.
            Pm.Posix.ChildProcess.SignalProcess(crashed.Pid, Pm.Posix.Signals.SIGSTOP);
            Pm.Posix.ChildProcess.SignalProcess(core, Pm.Posix.Signals.SIGSTOP);
            Pm.Posix.ChildProcess.SignalProcess(core, Pm.Posix.Signals.SIGKILL);
            Pm.Posix.ChildProcess.SignalProcess(crashed.Pid, Pm.Posix.Signals.SIGKILL);
            await crashed.WaitForExitAsync(Wait);
            await Task.Delay(300);
            old.Should().OnlyContain(pid => ProcessScan.Read(pid) != null, "a crash of both leaves the instances running");

            await using var next = await PmProcess.StartAsync(dir, $"""
                FastCgiIpcDir {dir.IpcDir}
                FastCgiServer {dir.File("stubborn")} -arg ignore-term -arg {dir.Path} -processes 2
                """);
            var line = await next.WaitForLineAsync(l => l.Contains("a previous PM on", StringComparison.Ordinal), Wait);
            line.Should().Contain("listed in the crashed PM's registry with its start time");
            var status = await next.StatusAsync();
            var now = status.Apps.Single().Instances.Select(i => i.Pid).ToList();
            now.Should().HaveCount(2).And.NotIntersectWith(old);
            old.Should().OnlyContain(pid => ProcessScan.Read(pid) == null || ProcessScan.Read(pid)!.State == 'Z', "the leftovers were stopped before the new instances started");
            Live(dir).Count(p => p.CommandLine.Contains(" grandchild ", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(2, "only the new instances' grandchildren");
            (await next.StopAsync(Wait)).Should().Be(0);
        }

        await AssertAllGoneAsync(dir);
    }

    /// <summary>
    /// `pm run` as the session of a pseudo-terminal (as a shell's foreground job is), then the terminal closed: the
    /// watchdog's SIGHUP finds no terminal and stops the core, which stops its apps. python3's pty module opens it.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task TerminalHangup_StopsThePmAndItsApps()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("stubborn", Paths.TestApp);
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -arg say -arg {dir.Path} -processes 2
            """);
        var script = dir.Write("hangup.py", $$"""
            import os, pty, sys, time
            pid, master = pty.fork()
            if pid == 0:
                os.execv("{{Paths.Pm}}", ["{{Paths.Pm}}", "run", "{{config}}"])
            seen = b""
            deadline = time.time() + 20
            while b"started pid" not in seen or seen.count(b"started pid") < 2:
                if time.time() > deadline:
                    sys.exit("pm did not start: " + seen.decode(errors="replace"))
                seen += os.read(master, 4096)
            print(pid, flush=True)
            os.close(master)
            """);
        using var python = Process.Start(new ProcessStartInfo("python3", [script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var pmPid = int.Parse((await python.StandardOutput.ReadLineAsync().WaitAsync(Wait))!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await python.WaitForExitAsync().WaitAsync(Wait);
        python.ExitCode.Should().Be(0, await python.StandardError.ReadToEndAsync());

        var stopwatch = Stopwatch.StartNew();
        while ((Live(dir).Count > 0 || ProcessScan.Read(pmPid) is { State: not 'Z' }) && stopwatch.Elapsed < Wait)
        {
            await Task.Delay(20);
        }

        Live(dir).Should().BeEmpty("a hung-up terminal stops the PM and everything it started");
        ProcessScan.Read(pmPid).Should().Match<ProcessScan.Proc?>(p => p == null || p.State == 'Z');
        Console.WriteLine($"gone {stopwatch.Elapsed.TotalMilliseconds:F0} ms after the hangup");
    }

    private static async Task<PmProcess> StartStubbornAsync(TestDirectory dir)
    {
        var app = dir.Link("stubborn", Paths.TestApp);
        var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -arg ignore-term -arg {dir.Path} -processes 2
            """);
        for (var i = 0; i < 2; i++)
        {
            await pm.WaitForLineAsync(l => l.Contains("]: grandchild ", StringComparison.Ordinal), Wait, skip: i);
        }

        var deadline = Stopwatch.StartNew();
        while (Live(dir).Count(p => p.CommandLine.Contains(" grandchild ", StringComparison.Ordinal)) < 2)
        {
            deadline.Elapsed.Should().BeLessThan(Wait, "both grandchildren start");
            await Task.Delay(20);
        }

        return pm;
    }

    private static void Kill(int pid) => Process.GetProcessById(pid).Kill();

    private static async Task AssertAllGoneAsync(TestDirectory dir)
    {
        var stopwatch = Stopwatch.StartNew();
        while (Live(dir).Count > 0 && stopwatch.Elapsed < Wait)
        {
            await Task.Delay(10);
        }

        var elapsed = stopwatch.Elapsed;
        Live(dir).Should().BeEmpty("nothing outlives the PM");
        elapsed.Should().BeLessThan(Bound, "everything is gone within 1 s of the kill");
        Console.WriteLine($"gone after {elapsed.TotalMilliseconds:F0} ms");
    }

    private static List<ProcessScan.Proc> Live(TestDirectory dir) =>
        ProcessScan.WithCommandLine(dir.Path).Where(p => p.State is not 'Z' and not 'X').ToList();
}
