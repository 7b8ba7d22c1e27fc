using System.Net;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Supervision;

/// <summary>
/// Issue 8 end to end, through `pm serve` or `pm run` with real apps: a request past -request-timeout kills the
/// instance holding it (its whole group, a forked grandchild included) after a diagnosis; -slow-log only diagnoses;
/// an app that never listens is killed at -spawn-timeout and backs off until it is fixed.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class FrozenAppTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>A libfcgi app whose instances each fork a grandchild into their process group first.</summary>
    private static string ForkingApp(TestDirectory dir)
    {
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var grandchild = dir.Write("grandchild.sh", "sleep 300\n");
        var wrapper = dir.Write("forking-app.sh", $"#!/bin/sh\nsh {grandchild} &\nexec {app}\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return wrapper;
    }

    [Fact(Timeout = 90_000)]
    public async Task HangingRequest_PastRequestTimeout_Gets504_AndItsInstancesGroupIsDiagnosedKilledAndReplaced()
    {
        using var dir = new TestDirectory();
        var app = ForkingApp(dir);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t -request-timeout 1 -kill-grace 1");
        var before = await ReadyInstancesAsync(server.Pm, app, 2);
        var groups = before.Select(i => i.Pid).ToList();
        groups.Should().OnlyContain(pgid => ProcessScan.All().Count(p => p.ProcessGroup == pgid) >= 2, "each instance has its grandchild in its group");

        var hang = server.Client.GetAsync("/t?mode=freeze");
        await WaitUntil(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Any(i => i.State == "busy"), Wait);
        using var fast = await server.Client.GetAsync("/t");
        using var hung = await hang;

        fast.StatusCode.Should().Be(HttpStatusCode.OK, "a concurrent fast request to the same app is not failed");
        hung.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await server.Pm.WaitForLineAsync(l => l.Contains("504 for GET /t?mode=freeze", StringComparison.Ordinal), Wait)).Should().Contain("(-request-timeout)");
        var diagnosis = await server.Pm.WaitForLineAsync(l => l.Contains("diagnosis of pid", StringComparison.Ordinal), Wait);
        diagnosis.Should().Contain("-request-timeout");
        await server.Pm.WaitForLineAsync(l => l.Contains("diagnosis took", StringComparison.Ordinal), Wait);
        var block = string.Join("\n", server.Pm.Lines.SkipWhile(l => !l.Contains("diagnosis of pid", StringComparison.Ordinal)));
        block.Should().MatchRegex(@"fcgi-test: S \(sleeping\), in clock_nanosleep\(", "the diagnosis names the syscall the frozen app is in");
        block.Should().Contain("3 process(es) in the group", "the grandchild (a shell and its sleep) is diagnosed too");
        if (File.Exists("/usr/bin/eu-stack") || File.Exists("/usr/bin/gdb"))
        {
            block.Should().Contain("backtrace of pid").And.MatchRegex(@"#\d+ +0x[0-9a-f]+ main", "a C-level backtrace of the frozen thread");
        }

        await WaitUntil(() => groups.Count(ChildProcess.GroupExists) == 1, Wait);
        var killed = groups.Single(g => !ChildProcess.GroupExists(g));
        var after = await ReadyInstancesAsync(server.Pm, app, 2);
        after.Select(i => i.Pid).Should().NotContain(killed, "the killed instance was replaced");
        var status = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app);
        status.LastKill.Should().NotBeNull();
        status.LastKill!.Pid.Should().Be(killed);
        status.LastKill.Reason.Should().Contain("-request-timeout");
        status.LastKill.Diagnosis.Should().Contain("socket(s)");
        status.ConsecutiveFailures.Should().Be(0, "a frozen request is no failed start");
        using var next = await server.Client.GetAsync("/t");
        next.StatusCode.Should().Be(HttpStatusCode.OK, "the replacement serves the next request");
    }

    [Fact(Timeout = 90_000)]
    public async Task PhpScriptInSleep_PastRequestTimeout_KillsTheWholePhpCgiGroup()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("www")).FullName;
        File.WriteAllText(Path.Combine(root, "sleep.php"), "<?php sleep(60); echo 'woke';\n");
        File.WriteAllText(Path.Combine(root, "hi.php"), "<?php echo 'hi';\n");
        var php = dir.Link("php-cgi", FrontEndApps.PhpCgi);
        await using var server = await FrontEndServer.StartAsync(dir,
            $"FastCgiServer {php} -processes 1 -url /php -document-root {root} -initial-env PHP_FCGI_CHILDREN=2 -request-timeout 1 -kill-grace 1");
        var master = (await ReadyInstancesAsync(server.Pm, php, 1)).Single().Pid;
        await WaitUntil(() => ProcessScan.All().Count(p => p.ProcessGroup == master) == 3, Wait);

        using var slept = await server.Client.GetAsync("/php/sleep.php");

        slept.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        await server.Pm.WaitForLineAsync(l => l.Contains("diagnosis took", StringComparison.Ordinal), Wait);
        var block = string.Join("\n", server.Pm.Lines.SkipWhile(l => !l.Contains("diagnosis of pid", StringComparison.Ordinal)));
        block.Should().Contain("3 process(es) in the group", "the php-cgi master and its two PHP_FCGI_CHILDREN");
        block.Should().MatchRegex(@"in (clock_nanosleep|nanosleep)\(", "the worker holding the request is in sleep()");
        await WaitUntil(() => !ChildProcess.GroupExists(master), Wait);
        var replacement = (await ReadyInstancesAsync(server.Pm, php, 1)).Single().Pid;
        replacement.Should().NotBe(master);
        (await server.Client.GetStringAsync("/php/hi.php")).Should().Be("hi");
    }

    [Fact(Timeout = 90_000)]
    public async Task SlowRequest_PastSlowLog_IsDiagnosedAndStillCompletes()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t -slow-log 0.5");
        var pid = (await ReadyInstancesAsync(server.Pm, app, 1)).Single().Pid;

        using var response = await server.Client.GetAsync("/t?mode=slow&n=4&ms=500");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().NotBeEmpty();
        var line = await server.Pm.WaitForLineAsync(l => l.Contains("diagnosis of pid", StringComparison.Ordinal), Wait);
        line.Should().Contain("-slow-log").And.Contain("left running");
        ChildProcess.GroupExists(pid).Should().BeTrue("the slow log kills nothing");
        (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).LastKill.Should().BeNull();
    }

    [Fact(Timeout = 90_000)]
    public async Task AppThatNeverListens_IsKilledAtSpawnTimeout_BacksOff_AndRecoversWhenFixed()
    {
        using var dir = new TestDirectory();
        var (script, fixedFile) = NeverListens(dir);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {script} -processes 1 -spawn-timeout 1 -restart-delay 1 -kill-grace 1
            """);

        await pm.WaitForLineAsync(l => l.Contains("-spawn-timeout 1 s: not waiting for work", StringComparison.Ordinal), Wait);
        await pm.WaitForLineAsync(l => l.Contains("diagnosis of pid", StringComparison.Ordinal), Wait);
        await pm.WaitForLineAsync(l => l.Contains("never ready", StringComparison.Ordinal) && l.Contains("backing off", StringComparison.Ordinal), Wait);
        var status = (await pm.StatusAsync()).Apps.Single(a => a.Name == script);
        status.ConsecutiveFailures.Should().BeGreaterThanOrEqualTo(2);
        status.LastKill!.Reason.Should().Contain("-spawn-timeout");

        File.WriteAllText(fixedFile, "");
        await WaitUntil(async () => (await pm.StatusAsync()).Apps.Single(a => a.Name == script).Instances is [{ State: "idle" }], TimeSpan.FromSeconds(30));
    }

    [Fact(Timeout = 90_000)]
    public async Task InstanceStuckOutsideARequest_PastStuckTimeout_IsReplacedNewOneFirst_ThenDiagnosedAndKilled()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t -stuck-timeout 1 -kill-grace 1");
        var stuck = (await ReadyInstancesAsync(server.Pm, app, 1)).Single().Pid;

        using var answered = await server.Client.GetAsync("/t?mode=wedge");

        answered.StatusCode.Should().Be(HttpStatusCode.OK);
        var started = await server.Pm.WaitForLineAsync(l => l.Contains($"replacing stuck pid {stuck}", StringComparison.Ordinal), Wait);
        var killing = await server.Pm.WaitForLineAsync(l => l.Contains($"killing pid {stuck}", StringComparison.Ordinal), Wait);
        killing.Should().Contain("-stuck-timeout");
        server.Pm.Lines.ToList().IndexOf(started).Should().BeLessThan(server.Pm.Lines.ToList().IndexOf(killing), "new one first");
        await WaitUntil(() => !ChildProcess.GroupExists(stuck), Wait);
        var after = (await ReadyInstancesAsync(server.Pm, app, 1)).Single();
        after.Pid.Should().NotBe(stuck);
        (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).LastKill!.Reason.Should().Contain("neither waiting for work nor holding a request");
        using var next = await server.Client.GetAsync("/t");
        next.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact(Timeout = 90_000)]
    public async Task DynamicAppThatNeverListens_IsKilledAtSpawnTimeout_CountsAsAFailure_AndItsRequestGets503AtAppConnTimeout()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var script = Path.Combine(root, "never.fcgi");
        File.WriteAllText(script, "#!/bin/sh\nexec sleep 300\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiConfig -spawn-timeout 1 -kill-grace 1 -appConnTimeout 3 -idle-timeout 30\nPmDynamicRoot /fcgi-bin/ {root}");

        using var response = await server.Client.GetAsync("/fcgi-bin/never.fcgi");

        // Its connection waited in the app's accept queue, taken by no instance: 503 at -appConnTimeout, not a 504 at -idle-timeout.
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.Should().NotBeNull();
        await server.Pm.WaitForLineAsync(l => l.Contains("-spawn-timeout 1 s: not waiting for work", StringComparison.Ordinal), Wait);
        await server.Pm.WaitForLineAsync(l => l.Contains("no instance took it within 3 s", StringComparison.Ordinal) && l.Contains("-appConnTimeout", StringComparison.Ordinal), Wait);
        await WaitUntil(async () => (await server.Pm.StatusAsync()).Apps.SingleOrDefault(a => a.Name == script)?.Load is { } load
            && load.TryGetValue("failures", out var failures) && failures >= 1, Wait);
    }

    [Fact(Timeout = 90_000)]
    public async Task StaticAppThatNeverListens_ItsRequestGets503WithRetryAfterAtAppConnTimeout_AndOnceFixedTheNextReadyInstanceServes()
    {
        using var dir = new TestDirectory();
        var (script, fixedFile) = NeverListens(dir);
        await using var server = await FrontEndServer.StartAsync(dir,
            $"FastCgiServer {script} -processes 1 -url /t -spawn-timeout 1 -restart-delay 1 -kill-grace 1 -appConnTimeout 2 -idle-timeout 30");

        using var refused = await server.Client.GetAsync("/t");

        refused.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        refused.Headers.RetryAfter.Should().NotBeNull();
        await server.Pm.WaitForLineAsync(l => l.Contains("no instance took it within 2 s", StringComparison.Ordinal), Wait);

        // A request that arrives while the app is being fixed waits in the shared accept queue for the first ready instance.
        File.WriteAllText(fixedFile, "");
        await WaitUntil(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == script).Instances is [{ State: "idle" }], TimeSpan.FromSeconds(30));
        using var served = await server.Client.GetAsync("/t");
        served.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact(Timeout = 90_000)]
    public async Task StuckDynamicInstance_GetsItsReplacementFirst_ThenIsKilled()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var app = Path.Combine(root, "wedge.fcgi");
        File.Copy(FrontEndApps.FcgiTest, app);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiConfig -stuck-timeout 1 -kill-grace 1\nPmDynamicRoot /fcgi-bin/ {root}");

        using var answered = await server.Client.GetAsync("/fcgi-bin/wedge.fcgi?mode=wedge");

        answered.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await answered.Content.ReadAsStringAsync();
        body.Should().StartWith("pid ");
        var stuck = int.Parse(body["pid ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var started = await server.Pm.WaitForLineAsync(l => l.Contains($"replacing stuck pid {stuck}", StringComparison.Ordinal), Wait);
        var killing = await server.Pm.WaitForLineAsync(l => l.Contains($"killing pid {stuck}", StringComparison.Ordinal), Wait);
        server.Pm.Lines.ToList().IndexOf(started).Should().BeLessThan(server.Pm.Lines.ToList().IndexOf(killing), "new one first");
        await WaitUntil(() => !ChildProcess.GroupExists(stuck), Wait);
        using var next = await server.Client.GetAsync("/fcgi-bin/wedge.fcgi");
        next.StatusCode.Should().Be(HttpStatusCode.OK, "the replacement serves the next request");
    }

    private static Task<IReadOnlyList<Pm.Status.InstanceStatus>> ReadyInstancesAsync(PmProcess pm, string app, int count) =>
        Eventually.ReadyInstancesAsync(pm, app, count, Wait);

    private static Task WaitUntil(Func<bool> condition, TimeSpan timeout) => Eventually.Until(condition, timeout);

    private static Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout) => Eventually.Until(condition, timeout);

    /// <summary>An app that never waits for work (it sleeps) until <c>FixedFile</c> exists; then it is the libfcgi test app.</summary>
    private static (string Script, string FixedFile) NeverListens(TestDirectory dir)
    {
        var fixedFile = dir.File("fixed");
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var script = dir.Write("never-listens.sh", $"#!/bin/sh\nif [ -e {fixedFile} ]; then exec {app}; fi\nexec sleep 300\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (script, fixedFile);
    }
}
