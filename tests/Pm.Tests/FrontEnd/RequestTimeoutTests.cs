using System.Net;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>-request-timeout and -slow-log through `pm serve` to the libfcgi test app.</summary>
[Collection(RealProcesses.Name)]
public sealed class RequestTimeoutTests
{
    private static async Task<FrontEndServer> StartAsync(TestDirectory dir, string options)
    {
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        return await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t {options}");
    }

    [Fact(Timeout = 60_000)]
    public async Task HangingRequest_PastTheTimeout_Gets504_FromTheRequestTimeout()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-request-timeout 1");
        using var response = await server.Client.GetAsync("/t?mode=hang");
        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        // Which limit gave the 504 is in its log line, not in a clock read here (no test times anything).
        var line = await server.Pm.WaitForLineAsync(l => l.Contains("504 for GET /t?mode=hang", StringComparison.Ordinal), FrontEndServer.Wait);
        line.Should().Contain("(-request-timeout)").And.NotContain("-idle-timeout");
    }

    [Fact(Timeout = 60_000)]
    public async Task FastRequest_BesideAHangingOne_IsAnswered()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-request-timeout 1");
        var hang = server.Client.GetAsync("/t?mode=hang");
        using var fast = await server.Client.GetAsync("/t");
        fast.StatusCode.Should().Be(HttpStatusCode.OK);
        using var hung = await hang;
        hung.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
    }

    [Fact(Timeout = 60_000)]
    public async Task SlowRequest_PastTheSlowLog_CompletesWithItsWholeBody()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-slow-log 0.5");
        using var response = await server.Client.GetAsync("/t?mode=slow&n=3&ms=500");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().NotBeEmpty();
        await Eventually.Until(async () => (await server.Pm.StatusAsync()).Apps.Any(a => a.SlowRequests == 1), FrontEndServer.Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task WithoutLimits_ASlowRequest_IsNotCut()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "");
        using var response = await server.Client.GetAsync("/t?mode=slow&n=3&ms=500");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact(Timeout = 60_000)]
    public async Task MultiplexingApp_ThatEndsTheAbortedRequest_IsNotKilled_AndServesOnMeanwhile()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("hello", Paths.Hello);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /h -request-timeout 1");
        using (var warm = await server.Client.GetAsync("/h"))
        {
            warm.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        await server.Pm.WaitForLineAsync(l => l.Contains("FCGI_MPXS_CONNS=1", StringComparison.Ordinal), FrontEndServer.Wait); // the web process knows it multiplexes

        var pid = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid;
        var slow = server.Client.GetAsync("/h?sleep=30000");
        await Eventually.Until(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().State == "busy", FrontEndServer.Wait);
        using (var fast = await server.Client.GetAsync("/h"))
        {
            fast.StatusCode.Should().Be(HttpStatusCode.OK, "the app multiplexes: one slow request does not hold it");
        }

        using var timedOut = await slow;
        timedOut.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        await server.Pm.WaitForLineAsync(l => l.Contains("the PM is asked to kill the instance if it does not end it within 2s", StringComparison.Ordinal), FrontEndServer.Wait);
        await server.Pm.WaitForLineAsync(l => l.Contains("after its abort; the instance serves on", StringComparison.Ordinal), FrontEndServer.Wait);

        server.Pm.Lines.Should().NotContain(l => l.Contains($"killing pid {pid}", StringComparison.Ordinal), "the app ended the aborted request itself");
        (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid.Should().Be(pid);
    }

    [Fact(Timeout = 60_000)]
    public async Task MultiplexingApp_ThatIgnoresTheAbort_IsKilledTwoSecondsLater()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("mux", Paths.TestApp);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -arg mux -processes 1 -url /m -request-timeout 1");
        using (var warm = await server.Client.GetAsync("/m"))
        {
            (await warm.Content.ReadAsStringAsync()).Should().StartWith("pid ");
        }

        await server.Pm.WaitForLineAsync(l => l.Contains("FCGI_MPXS_CONNS=1", StringComparison.Ordinal), FrontEndServer.Wait); // the web process knows it multiplexes

        var pid = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid;
        using var timedOut = await server.Client.GetAsync("/m?hang");

        timedOut.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        var killing = await server.Pm.WaitForLineAsync(l => l.Contains($"killing pid {pid}", StringComparison.Ordinal), FrontEndServer.Wait);
        killing.Should().Contain("-request-timeout");
        // The kill came only after the app was given its grace to end the aborted request: that line comes first.
        var lines = server.Pm.Lines.ToList();
        var gaveUp = lines.FindIndex(l => l.Contains("did not end", StringComparison.Ordinal) && l.Contains("of its abort", StringComparison.Ordinal));
        gaveUp.Should().BeGreaterThanOrEqualTo(0).And.BeLessThan(lines.IndexOf(killing), "the PM is asked to kill only once the abort grace has passed");
    }
}
