using System.Net.Sockets;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch;

/// <summary>
/// The dispatcher's FastCGI side against a real `pm serve`, driven by Pm's own FastCGI client as a web server would:
/// targets, refusals, kept and multiplexed connections, aborts.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class DispatcherProtocolTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static Task<FastCgiClientConnection> ConnectAsync(DispatchServer server, bool keep, int concurrent = 1) =>
        FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(server.Socket),
            new FastCgiClientOptions { KeepConnection = keep, MaxConcurrentRequests = concurrent });

    [Fact(Timeout = 60_000)]
    public async Task KeptConnection_CarriesSeveralRequestsInSequence_TheFirstStartingTheApp()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: true);

        for (var i = 0; i < 3; i++)
        {
            var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token);
            output.Should().Contain("\r\n\r\npid ", $"request {i} is answered by the app");
            end.Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
            connection.IsConnected.Should().BeTrue("FCGI_KEEP_CONN keeps the connection for the next request");
        }

        server.Pm.Lines.Count(l => l.Contains($"dynamic app {server.App}: created", StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact(Timeout = 60_000)]
    public async Task ConnectionWithoutKeepConn_IsClosedAfterItsRequest()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: false);

        var (output, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token);

        output.Should().Contain("pid ");
        await connection.Closed.WaitAsync(cts.Token);
    }

    [Fact(Timeout = 60_000)]
    public async Task MultiplexedRequests_OnOneConnection_AreAllAnswered()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: true, concurrent: 4);
        var values = await connection.GetValuesAsync(null, cts.Token);
        values.GetValue(FastCgiManagementVariables.MpxsConns).Should().Be("1");

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, $"mode=big&n={1000 + i}"), cts.Token)));

        for (var i = 0; i < 4; i++)
        {
            var body = answers[i].Output[(answers[i].Output.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            Encoding.Latin1.GetBytes(body).Should().Equal(Checksums.Pattern(1000 + i), $"request {i} got its own answer, not another's");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ScriptOutsideTheRoots_Gets404_AndOneThatLinksOut_403_NothingStarted()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        var outside = Directory.CreateDirectory(dir.File("outside")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(outside, "escape.fcgi"));
        File.CreateSymbolicLink(Path.Combine(server.Root, "link.fcgi"), Path.Combine(outside, "escape.fcgi"));

        await using var connection = await ConnectAsync(server, keep: true);
        var (notFound, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(Path.Combine(outside, "escape.fcgi")), cts.Token);
        var (linked, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(Path.Combine(server.Root, "link.fcgi")), cts.Token);
        var (dotted, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.Root + "/../outside/escape.fcgi"), cts.Token);

        notFound.Should().StartWith("Status: 404 Not Found\r\n").And.Contain("no such application");
        end.IsComplete.Should().BeTrue();
        linked.Should().StartWith("Status: 403 Forbidden\r\n");
        dotted.Should().StartWith("Status: 403 Forbidden\r\n");
        // The web process's log reaches the PM's output on its own time: waited for, as events.
        await server.Pm.WaitForLineAsync(l => l.Contains("dispatcher: 404 for FastCGI GET /escape.fcgi", StringComparison.Ordinal) && l.Contains("under no PmDynamicRoot", StringComparison.Ordinal), Wait);
        await server.Pm.WaitForLineAsync(l => l.Contains("dispatcher: 403", StringComparison.Ordinal) && l.Contains("leads outside the dynamic root", StringComparison.Ordinal), Wait);
        server.Pm.Lines.Should().NotContain(l => l.Contains("dynamic app ", StringComparison.Ordinal) && l.Contains(": created", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task DynamicAppThatNeverListens_Gets503WithRetryAfter_AtAppConnTimeout_NotA504AtIdleTimeout()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir, fastCgiConfig: "-appConnTimeout 2 -spawn-timeout 1 -kill-grace 1 -idle-timeout 30");
        using var cts = new CancellationTokenSource(Wait);
        var never = Path.Combine(server.Root, "never.fcgi");
        File.WriteAllText(never, "#!/bin/sh\nexec sleep 300\n");
        File.SetUnixFileMode(never, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var connection = await ConnectAsync(server, keep: true);
        var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(never), cts.Token);

        output.Should().StartWith("Status: 503 Service Unavailable\r\n").And.Contain("Retry-After:");
        end.IsComplete.Should().BeTrue();
        await server.Pm.WaitForLineAsync(l => l.Contains("no instance took it within 2 s", StringComparison.Ordinal) && l.Contains("-appConnTimeout", StringComparison.Ordinal), Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task StaticApp_NamedByPmApp_IsReached_AndAnUnknownName_Gets404()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("static-test", FrontEndApps.FcgiTest);
        await using var server = await DispatchServer.StartAsync(dir, $"FastCgiServer {app}");
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: true);

        var byName = FastCgiCall.Params("/somewhere/else.php");
        byName.Add(new("PM_APP", app));
        var (named, _) = await FastCgiCall.SendAsync(connection, byName, cts.Token);
        var (byPath, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(app), cts.Token);
        var unknown = FastCgiCall.Params(server.App);
        unknown.Add(new("PM_APP", "/no/such/app"));
        var (refused, _) = await FastCgiCall.SendAsync(connection, unknown, cts.Token);

        var pid = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single().Pid;
        named.Should().Contain($"pid {pid}");
        byPath.Should().Contain($"pid {pid}");
        refused.Should().StartWith("Status: 404 Not Found\r\n", "a PM_APP that names nothing is not routed by SCRIPT_FILENAME instead");
    }

    [Fact(Timeout = 60_000)]
    public async Task Abort_FromTheWebServer_ReachesTheApp_AndEndsTheRequest()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: true);
        (await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token)).Output.Should().Contain("pid ");
        async Task<long> Served() => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == server.App).Instances.Sum(i => i.Requests ?? 0);
        var before = await Served();

        await using var hanging = await connection.BeginRequestAsync(FastCgiCall.Params(server.App, "mode=hang"), null, cts.Token);
        await Eventually.Until(async () => await Served() > before, Wait);
        hanging.Abort();

        await server.Pm.WaitForLineAsync(l => l.Contains("the web server sent a record (an abort) while I hung", StringComparison.Ordinal)
            || l.Contains("the web server closed the connection while I hung", StringComparison.Ordinal), Wait);
        await hanging.Released.WaitAsync(cts.Token);
        connection.IsConnected.Should().BeTrue("the dispatcher ended the aborted request with END_REQUEST and kept the connection");
        (await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token)).Output.Should().Contain("pid ", "the kept connection serves on");
    }

    [Fact(Timeout = 60_000)]
    public async Task PostBody_ReachesTheAppIntact()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server, keep: true);
        var body = Checksums.Pattern(300_000);

        var (output, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, "mode=echo", "POST", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), cts.Token, body);

        output.Should().Contain($"length=300000 fnv={Checksums.Fnv1a64(body)}");
    }
}
