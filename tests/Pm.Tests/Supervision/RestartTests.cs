using System.Globalization;
using System.Text.RegularExpressions;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>Real apps under a real pm: instances that die are replaced, crash loops back off and recover.</summary>
[Collection(RealProcesses.Name)]
public sealed partial class RestartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 60_000)]
    public async Task InstanceKilledWithSigkill_IsReplaced_AndTheReplacementAnswersCgiFcgiAndOurClient()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", NativeApps.HelloC);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket hello -restart-delay 0 -min-server-life 0
            """);
        var socket = Path.Combine(dir.IpcDir, "hello");

        var first = PidOf(await CgiFcgi.GetAsync(socket, "/first"));
        ChildProcess.SignalProcess(first, Signals.SIGKILL);
        var replaced = await pm.WaitForLineAsync(l => l.Contains($"replacing pid {first}", StringComparison.Ordinal), Wait);

        var answer = await CgiFcgi.GetAsync(socket, "/second", "x=1");
        answer.Should().Contain("SCRIPT_NAME=/second QUERY_STRING=x=1");
        var second = PidOf(answer);
        second.Should().NotBe(first);
        replaced.Should().Contain($"started pid {second}");
        pm.Output.Should().Contain($"pid {first} exited: killed by SIGKILL");

        // And with our own FastCGI client, killing the replacement in turn.
        ChildProcess.SignalProcess(second, Signals.SIGKILL);
        await pm.WaitForLineAsync(l => l.Contains($"replacing pid {second}", StringComparison.Ordinal), Wait);
        var third = await OurClient.GetAsync(socket, "/third", "y=2");
        third.Should().Contain("SCRIPT_NAME=/third QUERY_STRING=y=2");
        PidOf(third).Should().NotBe(second).And.NotBe(first);

        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task CrashLoopingApp_BacksOffExponentially_AndRecoversOnceFixed()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("crasher", Paths.TestApp);
        var fixedFile = dir.File("fixed");
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -arg crash-unless -arg {fixedFile} -restart-delay 0 -min-server-life 1 -backoff-max 2
            """);

        // Failures 2, 3 and 4 back off with growing ceilings: 0.25, 0.5, 1 s (each drawn from its upper half).
        var backoffs = new List<double>();
        for (var n = 2; n <= 4; n++)
        {
            var line = await pm.WaitForLineAsync(l => l.Contains($"{n} failures in a row: backing off", StringComparison.Ordinal), Wait);
            backoffs.Add(double.Parse(BackoffSeconds().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));
        }

        backoffs[0].Should().BeInRange(0.125, 0.25);
        backoffs[1].Should().BeInRange(0.25, 0.5);
        backoffs[2].Should().BeInRange(0.5, 1.0);
        pm.Output.Should().Contain("first failure: restarting now");

        File.WriteAllText(fixedFile, "");
        await pm.WaitForLineAsync(l => l.Contains("recovered after", StringComparison.Ordinal), Wait);
        var status = await pm.StatusAsync();
        status.Apps.Single().ConsecutiveFailures.Should().Be(0);
        status.Apps.Single().Instances.Should().ContainSingle();

        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task HealthyApp_BesideAnotherAppsCrashLoop_IsNotSlowed()
    {
        using var dir = new TestDirectory();
        var crasher = dir.Link("crasher", Paths.TestApp);
        var healthy = dir.Link("hello", NativeApps.HelloC);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {crasher} -arg crash-unless -arg {dir.File("never")} -restart-delay 1 -backoff-max 30
            FastCgiServer {healthy} -socket hello -restart-delay 0
            """);
        await pm.WaitForLineAsync(l => l.Contains("2 failures in a row: backing off", StringComparison.Ordinal), Wait);

        var socket = Path.Combine(dir.IpcDir, "hello");
        var first = PidOf(await CgiFcgi.GetAsync(socket));
        ChildProcess.SignalProcess(first, Signals.SIGKILL);
        var exited = await pm.WaitForLineAsync(l => l.Contains($"pid {first} exited", StringComparison.Ordinal), Wait);
        var started = await pm.WaitForLineAsync(l => l.Contains($"replacing pid {first}", StringComparison.Ordinal), Wait);

        // The crasher is waiting out a backoff of a second or more; the healthy app's replacement does not wait.
        (Timestamp(started) - Timestamp(exited)).Should().BeLessThan(TimeSpan.FromMilliseconds(250));
        PidOf(await CgiFcgi.GetAsync(socket)).Should().NotBe(first);

        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task InstanceExiting0OnItsOwn_IsReplacedAtOnce_AndIsNotAFailure()
    {
        using var dir = new TestDirectory();
        var php = dir.Link("php-cgi", "/usr/bin/php-cgi");
        var docroot = Path.Combine(Paths.RepoRoot, "examples/apps/php");
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {php} -socket php -initial-env PHP_FCGI_MAX_REQUESTS=2 -restart-delay 0
            """);
        var socket = Path.Combine(dir.IpcDir, "php");
        var script = Path.Combine(docroot, "index.php");

        var pids = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var page = await CgiFcgi.GetAsync(socket, "/index.php", scriptFilename: script);
            pids.Add(int.Parse(PhpPid().Match(page).Groups[1].Value, CultureInfo.InvariantCulture));
        }

        // php-cgi exits 0 after PHP_FCGI_MAX_REQUESTS=2; the third request is served by its replacement.
        pids[0].Should().Be(pids[1]);
        pids[2].Should().NotBe(pids[0]);
        await pm.WaitForLineAsync(l => l.Contains($"pid {pids[0]} exited: exit code 0", StringComparison.Ordinal), Wait);
        pm.Output.Should().Contain("not a failure: it exited cleanly");
        (await pm.StatusAsync()).Apps.Single().ConsecutiveFailures.Should().Be(0);

        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    internal static int PidOf(string helloResponse) =>
        int.Parse(HelloPid().Match(helloResponse).Groups[1].Value, CultureInfo.InvariantCulture);

    internal static DateTime Timestamp(string logLine) =>
        DateTime.ParseExact(logLine[..23], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"pid (\d+), request")]
    private static partial Regex HelloPid();

    [GeneratedRegex(@"php-cgi pid (\d+)")]
    private static partial Regex PhpPid();

    [GeneratedRegex(@"backing off ([0-9.]+) s")]
    private static partial Regex BackoffSeconds();
}
