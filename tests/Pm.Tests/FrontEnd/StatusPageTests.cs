using System.Net;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>The status page (mounted at "/" with PmStatusPage) and the web process's own life: serving beside `pm run`, a graceful stop, a bad start.</summary>
[Collection(RealProcesses.Name)]
public sealed class StatusPageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task StatusPage_ListsTheAppsAndTheirInstances()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusPage /
            FastCgiServer {app} -processes 2 -url /t
            FastCgiExternalServer {dir.File("elsewhere")} -host 127.0.0.1:9 -url /ext
            """);
        using var response = await server.Client.GetAsync("/");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var html = await response.Content.ReadAsStringAsync();

        html.Should().StartWith("<!DOCTYPE html>").And.EndWith("</html>\n");
        html.Should().Contain($"<code>{app}</code>").And.Contain("<a href=\"/t\">/t</a>").And.Contain(">static<");
        html.Should().Contain($"<code>{dir.File("elsewhere")}</code>").And.Contain(">external<").And.Contain("127.0.0.1:9");
        html.Should().Contain(">web<", "the web processes are instances the PM supervises too");
        var status = await server.Pm.StatusAsync();
        foreach (var instance in status.Apps.Single(a => a.Name == app).Instances)
        {
            html.Should().Contain($"<tr><td>{instance.Pid}</td><td>{instance.State}</td>");
        }

        html.Should().NotContain("<script", "no external assets and no scripts");
        Count(html, "<section>").Should().Be(Count(html, "</section>"));
        Count(html, "<table>").Should().Be(Count(html, "</table>"));
    }

    [Fact(Timeout = 60_000)]
    public async Task EventLoopApps_ShowIdle_OnceTheyListenAndAgainAfterTheirKeptConnectionIsLetGo()
    {
        // The C# Hello app and the web processes wait in epoll, not in accept(2): the PM must still see them ready.
        // Hello multiplexes, so the front end keeps a connection to it, which the PM counts as a request held.
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", Paths.Hello);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {hello} -processes 1 -url /hello", webProcesses: 2);
        await StatesAsync(server, s => s.Should().OnlyContain(i => i.State == "idle").And.HaveCount(3));

        (await server.Client.GetStringAsync("/hello")).Should().Contain("Hello from Pm");
        (await server.Client.GetStringAsync("/hello")).Should().Contain("Hello from Pm");
        await StatesAsync(server, s => s.Where(i => i.App == hello).Should().ContainSingle(i => i.State == "idle"));
    }

    // Polls until the check passes; if it never does, the last states are checked once more so that the failure is
    // the check's own message.
    private static async Task StatesAsync(FrontEndServer server, Action<IEnumerable<(string App, string State)>> check)
    {
        List<(string, string)> states = [];
        var passed = await TryWaitUntil(async () =>
        {
            var status = await server.Pm.StatusAsync();
            states = status.Apps.SelectMany(a => a.Instances.Select(i => (a.Name, i.State))).ToList();
            try
            {
                check(states);
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }, Wait, interval: TimeSpan.FromMilliseconds(100));
        if (!passed)
        {
            check(states);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StatusPage_WithoutAPm_SaysSoWith503AndAppsAre503()
    {
        using var dir = new TestDirectory();
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            PmStatusPage /
            FastCgiServer {dir.Link("fcgi-test", FrontEndApps.FcgiTest)} -url /t
            """);
        await using var web = WebProcess.Start(config, "--listen", "127.0.0.1:0");
        using var client = await web.ClientAsync(Wait);
        using var page = await client.GetAsync("/");
        page.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await page.Content.ReadAsStringAsync()).Should().Contain("does not answer on its control socket");
        (await client.GetAsync("/t")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await client.GetAsync("/nowhere")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task WebProcess_BesidePmRun_ServesTheAppsAndSigtermLetsARequestInFlightFinish()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -processes 1 -url /t -flush
            """);
        await using var web = WebProcess.Start(dir.File("pm.conf"), "--listen", "127.0.0.1:0");
        using var client = await web.ClientAsync(Wait);
        (await client.GetStringAsync("/t")).Should().StartWith("pid ");

        using var slow = await client.GetAsync("/t?mode=slow&n=10&ms=100", HttpCompletionOption.ResponseHeadersRead);
        var body = slow.Content.ReadAsStringAsync();
        web.Signal(Signals.SIGTERM);
        (await body).Should().EndWith("chunk 10\n", "the request in flight is finished before the web process exits");
        (await web.WaitForExitAsync(Wait)).Should().Be(0);
        web.Output.Should().Contain("stopping: ").And.Contain("then requests in flight finish");
        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task PmWeb_WithoutListenOrASocketOnFd0_RefusesToStart()
    {
        using var dir = new TestDirectory();
        var config = dir.Write("pm.conf", $"FastCgiIpcDir {dir.IpcDir}\n");
        await using var web = WebProcess.Start(config);
        (await web.WaitForExitAsync(Wait)).Should().Be(2);
        web.Output.Should().Contain("fd 0 is not a listening socket");
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
