using System.Net;
using System.Net.Sockets;
using Pm.Status;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// Where the status page is served: PmStatusListen (the page, ?json and /metrics, nothing else, from every web
/// process) and PmStatusPage (a path on the public listener); without either, the public listener serves none.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class StatusListenTests
{
    [Fact(Timeout = 90_000)]
    public async Task PmStatusListen_ServesPageJsonAndMetrics_AndNothingElse_WhileThePublicListenerServesNoStatus()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var statusPort = FrontEndServer.FreePort();
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusListen {statusPort}
            FastCgiServer {app} -processes 1 -url /t
            """, webProcesses: 2);
        using var status = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statusPort}"), Timeout = TimeSpan.FromSeconds(30) };

        (await server.Client.GetStringAsync("/t")).Should().StartWith("pid ");
        (await server.Client.GetAsync("/")).StatusCode.Should().Be(HttpStatusCode.NotFound, "no PmStatusPage: the public listener serves no status");
        (await server.Client.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Client.GetAsync("/?json")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        // Several connections, so that both web processes (which share the socket) are likely to answer some.
        for (var i = 0; i < 4; i++)
        {
            using var fresh = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = status.BaseAddress };
            using var page = await fresh.GetAsync("/");
            page.StatusCode.Should().Be(HttpStatusCode.OK);
            page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
            (await page.Content.ReadAsStringAsync()).Should().Contain($"<code>{app}</code>");
        }

        var report = System.Text.Json.JsonSerializer.Deserialize(await status.GetStringAsync("/?json"), StatusJsonContext.Default.StatusReport)!;
        report.Apps.Should().Contain(a => a.Name == app);
        using var metrics = await status.GetAsync("/metrics");
        metrics.StatusCode.Should().Be(HttpStatusCode.OK);
        metrics.Content.Headers.ContentType!.ToString().Should().Contain("version=0.0.4");
        var text = await metrics.Content.ReadAsStringAsync();
        text.Should().Contain($"pm_app_instances{{app=\"{app}\",kind=\"static\",state=\"idle\"}} 1");
        await MetricsTests.PromtoolAccepts(text);

        (await status.GetAsync("/t")).StatusCode.Should().Be(HttpStatusCode.NotFound, "no app is reached from the status listener");
        (await status.GetAsync("/other")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await status.PostAsync("/", new StringContent("x"))).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        server.Pm.Lines.Should().Contain(l => l.Contains($"accepting the status page and metrics on 127.0.0.1:{statusPort}", StringComparison.Ordinal));
    }

    [Fact(Timeout = 90_000)]
    public async Task PmStatusListen_OnAUnixSocket_ServesTheMetrics_WithTheSocketsMode()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var socket = dir.File("status.sock");
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusListen unix:{socket} -socket-mode 0600
            FastCgiServer {app} -processes 1 -url /t
            """);
        (Convert.ToString((int)File.GetUnixFileMode(socket) & 0x1FF, 8)).Should().Be("600");
        using var status = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancel);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://status"), Timeout = TimeSpan.FromSeconds(30) };

        var text = await status.GetStringAsync("/metrics");
        text.Should().Contain("pm_up 1");
        await MetricsTests.PromtoolAccepts(text);
        (await status.GetStringAsync("/")).Should().Contain($"<code>{app}</code>");
        (await status.GetAsync("/t")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 90_000)]
    public async Task PmStatusPage_MountsThePageAndItsMetricsOnThePublicListener_AtItsPath()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusPage /pm-status
            FastCgiServer {app} -processes 1 -url /t
            """);
        (await server.Client.GetStringAsync("/pm-status")).Should().Contain($"<code>{app}</code>");
        (await server.Client.GetStringAsync("/pm-status?json")).Should().Contain("\"apps\"");
        var text = await server.Client.GetStringAsync("/pm-status/metrics");
        await MetricsTests.PromtoolAccepts(text);
        (await server.Client.GetAsync("/")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Client.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
