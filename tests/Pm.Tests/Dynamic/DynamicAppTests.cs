using Pm.Config;
using Pm.Posix;
using Pm.Protocol.Queue;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Dynamic;

/// <summary>Dynamic apps on the PM's side: queue records in, instances started, scaled and refused.</summary>
[Collection(RealProcesses.Name)]
public sealed class DynamicAppTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static (TestDirectory Dir, string App, string Config) Layout(string policyOptions = "")
    {
        var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var app = Path.Combine(root, "hello.fcgi");
        File.Copy(NativeApps.HelloC, app);
        var config = $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiConfig {policyOptions}
            PmDynamicRoot /fcgi-bin/ {root}
            """;
        return (dir, app, config);
    }

    private static void Send(string ipcDir, QueueRecord record) =>
        QueueWriter.Send(ipcDir, record).Should().Be(QueueWriteResult.Sent);

    private static QueueRecord Start(string path) => QueueRecord.Start(path, Identity.EffectiveUserId, Identity.EffectiveGroupId, DateTimeOffset.UtcNow);

    [Fact(Timeout = 60_000)]
    public async Task StartRecord_ForAnAppUnderARoot_StartsItOnceAndItAnswersOnItsSocket()
    {
        var (dir, app, config) = Layout();
        using (dir)
        {
            await using var pm = await PmProcess.StartAsync(dir, config);
            for (var i = 0; i < 5; i++)
            {
                Send(dir.IpcDir, Start(app));
            }

            await pm.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal), Wait);
            var answer = await CgiFcgi.GetAsync(IpcLayout.DynamicSocket(dir.IpcDir, app), "/fcgi-bin/hello.fcgi");
            answer.Should().Contain("Hello from a libfcgi app");

            var status = (await pm.StatusAsync()).Apps.Should().ContainSingle(a => a.Kind == "dynamic").Subject;
            status.Instances.Should().ContainSingle("five start records for one app start it once");
            status.Policy.Should().Be("demand");
            status.LastDecision.Should().Contain("starting 1");
            pm.Output.Should().Contain("policy demand: starting 1");
            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StartRecord_ForAnythingOutsideTheRoots_IsRefusedAndStartsNothing()
    {
        var (dir, _, config) = Layout();
        using (dir)
        {
            var outside = dir.File("outside.fcgi");
            File.Copy(NativeApps.HelloC, outside);
            await using var pm = await PmProcess.StartAsync(dir, config);
            Send(dir.IpcDir, Start(outside));
            Send(dir.IpcDir, Start("/bin/sh"));

            await pm.WaitForLineAsync(l => l.Contains("refusing to start /bin/sh: /bin/sh is not under any PmDynamicRoot", StringComparison.Ordinal), Wait);
            pm.Output.Should().Contain($"refusing to start {outside}");
            (await pm.StatusAsync()).Apps.Should().BeEmpty();
            ProcessScan.ChildrenOf(pm.CorePid).Should().BeEmpty();
            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task IdleDynamicApp_ScalesToZero_AndGivesUpItsSocket()
    {
        var (dir, app, config) = Layout("-minClassProcesses 0 -idleTimeout 0.5");
        using (dir)
        {
            await using var pm = await PmProcess.StartAsync(dir, config);
            Send(dir.IpcDir, Start(app));
            var socket = IpcLayout.DynamicSocket(dir.IpcDir, app);
            await pm.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal), Wait);
            (await CgiFcgi.GetAsync(socket)).Should().Contain("Hello");
            Send(dir.IpcDir, QueueRecord.Complete(app, 0, 0, DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));

            await pm.WaitForLineAsync(l => l.Contains("policy demand: retiring pid", StringComparison.Ordinal), Wait);
            await pm.WaitForLineAsync(l => l.Contains("no instances left; socket removed until the next request", StringComparison.Ordinal), Wait);
            File.Exists(socket).Should().BeFalse();

            // The next request starts it again.
            var before = pm.LineCount;
            Send(dir.IpcDir, Start(app));
            await pm.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal), Wait, skip: before);
            (await CgiFcgi.GetAsync(socket)).Should().Contain("Hello");
            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task DynamicAppThatKeepsCrashing_BacksOff()
    {
        var (dir, app, config) = Layout("-restartDelay 0.2 -maxFailedStarts 1");
        using (dir)
        {
            var crasher = Path.Combine(Path.GetDirectoryName(app)!, "crash.fcgi");
            File.WriteAllText(crasher, "#!/bin/sh\necho crashing >&2\nexit 1\n");
            File.SetUnixFileMode(crasher, (UnixFileMode)0x1ED);
            await using var pm = await PmProcess.StartAsync(dir, config);
            Send(dir.IpcDir, Start(crasher));

            // The first failures are restarted at once; past maxFailedStarts 1 the starts wait restartDelay 0.2 s,
            // doubling with each failure (with jitter).
            var starts = new List<DateTime>();
            for (var n = 0; n < 5; n++)
            {
                var line = await pm.WaitForLineAsync(l => l.Contains($"app {crasher}: started pid", StringComparison.Ordinal), Wait, skip: IndexAfter(pm, starts.Count));
                starts.Add(Supervision.RestartTests.Timestamp(line));
            }

            var gaps = starts.Zip(starts.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
            gaps[0].Should().BeLessThan(0.15, "one failure is not a crash loop");
            gaps[3].Should().BeGreaterThan(gaps[1] * 1.5, "the backoff grows");
            pm.Output.Should().Contain($"{crasher}[").And.Contain("]: crashing");
            var status = (await pm.StatusAsync()).Apps.Single();
            status.Load!["failures"].Should().BeGreaterThanOrEqualTo(4);
            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }

    /// <summary>The index just past the n-th line saying an instance started (0: from the beginning).</summary>
    private static int IndexAfter(PmProcess pm, int n)
    {
        if (n == 0)
        {
            return 0;
        }

        var lines = pm.Lines;
        var seen = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Contains(": started pid", StringComparison.Ordinal) && ++seen == n)
            {
                return i + 1;
            }
        }

        return lines.Count;
    }

    [Fact(Timeout = 60_000)]
    public async Task StartRecords_WrittenWhileThePmIsStopped_AreReplayedWhenItStarts()
    {
        var (dir, app, config) = Layout();
        using (dir)
        {
            var first = await PmProcess.StartAsync(dir, config);
            await using (first)
            {
                (await first.StopAsync(Wait)).Should().Be(0);
            }

            QueueWriter.Send(dir.IpcDir, Start(app)).Should().Be(QueueWriteResult.Spooled, "no PM reads the FIFO");

            await using var second = await PmProcess.StartAsync(dir, config);
            await second.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal), Wait);
            (await CgiFcgi.GetAsync(IpcLayout.DynamicSocket(dir.IpcDir, app))).Should().Contain("Hello");
            (await second.StopAsync(Wait)).Should().Be(0);
        }
    }
}
