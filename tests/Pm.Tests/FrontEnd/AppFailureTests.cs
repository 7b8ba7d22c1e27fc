using System.Net;
using System.Net.Sockets;
using System.Text;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>What a user sees when an app is down, hangs, breaks, dies or is left by its client.</summary>
[Collection(RealProcesses.Name)]
public sealed class AppFailureTests
{
    [Fact(Timeout = 60_000)]
    public async Task AppNobodyListensFor_Gives503WithRetryAfterAndALogLine()
    {
        using var dir = new TestDirectory();
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiExternalServer {dir.File("gone")} -socket {dir.File("gone.sock")} -url /gone");
        using var response = await server.Client.GetAsync("/gone/x");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.Should().BePositive();
        (await response.Content.ReadAsStringAsync()).Should().Contain("not reachable");
        await server.Pm.WaitForLineAsync(l => l.Contains($"app {dir.File("gone")}: 503 for GET /gone/x", StringComparison.Ordinal), FrontEndServer.Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task HungApp_AfterItsIdleTimeout_Gives504AndIsLetGo()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t -idle-timeout 1");
        using var response = await server.Client.GetAsync("/t?mode=hang");
        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);

        var pid = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid;
        var line = await server.Pm.WaitForLineAsync(l => l.Contains($"{app}[{pid}]: 504 for GET /t?mode=hang", StringComparison.Ordinal), FrontEndServer.Wait);
        line.Should().Contain("(-idle-timeout)", "the idle timeout, not another limit, gave the 504");
        await server.Pm.WaitForLineAsync(l => l.Contains("the web server closed the connection while I hung", StringComparison.Ordinal), FrontEndServer.Wait);
        (await server.Client.GetStringAsync("/t")).Should().Be($"pid {pid}\n", "the closed connection freed the one instance");
    }

    [Theory(Timeout = 60_000)]
    [InlineData("malformed", "malformed response")]
    [InlineData("nothing", "without any output")]
    public async Task AppSendingNoValidResponse_Gives502(string mode, string logged)
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t");
        using var response = await server.Client.GetAsync($"/t?mode={mode}");
        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        var pid = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid;
        var line = await server.Pm.WaitForLineAsync(l => l.Contains($": 502 for GET /t?mode={mode}", StringComparison.Ordinal), FrontEndServer.Wait);
        line.Should().Contain(logged);

        // The pid is looked up only when logging; an app that closed its end right after END_REQUEST may be gone by then.
        line.Should().Match(l => l.Contains($"{app}[{pid}]", StringComparison.Ordinal) || l.Contains($"{app}[?]", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task InstanceDyingBeforeItsFirstByte_CostsAGetNothing()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t -restart-delay 0");
        var marker = dir.File("died");
        using var response = await server.Client.GetAsync($"/t?mode=exitonce&arg={marker}");

        response.StatusCode.Should().Be(HttpStatusCode.OK, "the request is sent again on a new connection, to another instance");
        (await response.Content.ReadAsStringAsync()).Should().StartWith("survivor pid ");
        File.Exists(marker).Should().BeTrue("one instance did exit on this request");
        // The app's stderr reaches the PM's output on its own time: waited for, as an event.
        await server.Pm.WaitForLineAsync(l => l.Contains("exiting before answering, as asked", StringComparison.Ordinal), FrontEndServer.Wait);
        await server.Pm.WaitForLineAsync(l => l.Contains("closed the connection before answering GET /t?mode=exitonce", StringComparison.Ordinal)
            && l.Contains("sending it once more", StringComparison.Ordinal), FrontEndServer.Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task PostWhoseInstanceDies_IsNotSentTwice_AndGives502()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t -restart-delay 0");
        using var response = await server.Client.PostAsync($"/t?mode=exitonce&arg={dir.File("died")}", new StringContent("a body"));
        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
    }

    [Fact(Timeout = 60_000)]
    public async Task ClientLeavingMidResponse_FreesTheAppAtOnce()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t -flush");

        // A raw client, to leave at a chosen moment: after two of six hundred chunks (a minute of streaming).
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /t?mode=slow&n=600&ms=100 HTTP/1.1\r\nHost: test\r\n\r\n"));
            var seen = new StringBuilder();
            var buffer = new byte[4096];
            while (!seen.ToString().Contains("chunk 2", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer);
                n.Should().BePositive("the response streams until the client leaves");
                seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }

        await server.Pm.WaitForLineAsync(l => l.Contains("the web server went away after", StringComparison.Ordinal), FrontEndServer.Wait);
        // The abandoned stream would run 60 s; the test's own timeout (60 s, with the start before) fails it if the
        // only instance were still held by it.
        (await server.Client.GetStringAsync("/t")).Should().StartWith("pid ");
    }
}
