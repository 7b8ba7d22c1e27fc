using System.Diagnostics;
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
    public async Task HangingRequest_PastTheTimeout_Gets504_InAboutTheLimit()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-request-timeout 1");
        var clock = Stopwatch.StartNew();
        using var response = await server.Client.GetAsync("/t?mode=hang");
        var took = clock.Elapsed;
        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        took.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95)).And.BeLessThan(TimeSpan.FromSeconds(1.5));
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
    }

    [Fact(Timeout = 60_000)]
    public async Task WithoutLimits_ASlowRequest_IsNotCut()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "");
        using var response = await server.Client.GetAsync("/t?mode=slow&n=3&ms=500");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
