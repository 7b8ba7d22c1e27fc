using System.Net.Sockets;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch;

/// <summary>
/// What a web server gets through the dispatcher when the app fails, as over HTTP: a CGI "Status: 504" past
/// -idle-timeout or -request-timeout (the app's request aborted), a GET sent once more when its instance died before
/// answering, the app's STDERR passed on as FCGI_STDERR records, an app's own broken header block passed on as it
/// came (the web server in front judges it, as it would the app's direct answer).
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class DispatcherFailureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static Task<FastCgiClientConnection> ConnectAsync(DispatchServer server) =>
        FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(server.Socket), new FastCgiClientOptions { KeepConnection = true });

    [Fact(Timeout = 60_000)]
    public async Task HangingApp_PastIdleTimeout_Gets504_AndTheAppSeesItsRequestGo()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir, fastCgiConfig: "-appConnTimeout 15 -idle-timeout 1");
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);

        var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, "mode=hang"), cts.Token);

        output.Should().StartWith("Status: 504 Gateway Timeout\r\n");
        end.Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete), "the dispatcher ends the web server's request itself");
        (await server.Pm.WaitForLineAsync(l => l.Contains("504 for FastCGI GET /test.fcgi?mode=hang", StringComparison.Ordinal), Wait))
            .Should().Contain("(-idle-timeout)");
        await server.Pm.WaitForLineAsync(l => l.Contains("the web server closed the connection while I hung", StringComparison.Ordinal), Wait);
        connection.IsConnected.Should().BeTrue("the web server's kept connection outlives the failed request");
        (await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token)).Output.Should().Contain("pid ");
    }

    [Fact(Timeout = 60_000)]
    public async Task FrozenApp_PastRequestTimeout_Gets504_AndItsInstanceIsDiagnosedAndKilled()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir, fastCgiConfig: "-appConnTimeout 15 -request-timeout 1 -kill-grace 1");
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);

        var (output, _) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, "mode=freeze"), cts.Token);

        output.Should().StartWith("Status: 504 Gateway Timeout\r\n");
        (await server.Pm.WaitForLineAsync(l => l.Contains("504 for FastCGI GET /test.fcgi?mode=freeze", StringComparison.Ordinal), Wait))
            .Should().Contain("(-request-timeout)");
        (await server.Pm.WaitForLineAsync(l => l.Contains("diagnosis of pid", StringComparison.Ordinal), Wait)).Should().Contain("-request-timeout");
        (await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App), cts.Token)).Output.Should().Contain("pid ", "another instance answers");
    }

    [Fact(Timeout = 60_000)]
    public async Task StaticInstanceThatDiesBeforeAnswering_ItsGetIsSentOnceMore_AndAnswered()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("static-test", FrontEndApps.FcgiTest);
        await using var server = await DispatchServer.StartAsync(dir, $"FastCgiServer {app} -processes 2");
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);
        var flag = dir.File("exited-once");

        var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(app, $"mode=exitonce&arg={flag}"), cts.Token);

        File.Exists(flag).Should().BeTrue("an instance exited on this request");
        output.Should().Contain("survivor pid ", "the GET went once more, to an instance that answered");
        end.IsComplete.Should().BeTrue();
        await server.Pm.WaitForLineAsync(l => l.Contains("closed the connection before answering FastCGI GET /static-test?mode=exitonce", StringComparison.Ordinal)
            && l.Contains("sending it once more", StringComparison.Ordinal), Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task DynamicInstanceThatDiesBeforeAnswering_ItsGetIsAnsweredByAnother()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);
        var flag = dir.File("exited-once");

        var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, $"mode=exitonce&arg={flag}"), cts.Token);

        File.Exists(flag).Should().BeTrue("an instance exited on this request");
        output.Should().Contain("survivor pid ", "the dynamic app's start was asked for again and the request sent to the new instance");
        end.IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = 60_000)]
    public async Task AppStderr_ReachesTheWebServer_AsFcgiStderr_BesideTheAnswer()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);
        var stderr = new StringBuilder();

        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = FastCgiCall.Params(server.App, "mode=stderr"),
            StandardError = content =>
            {
                lock (stderr)
                {
                    foreach (var segment in content)
                    {
                        stderr.Append(Encoding.Latin1.GetString(segment.Span));
                    }
                }
            },
        }, cts.Token);
        var output = await FastCgiCall.ReadAllAsync(request.Output, cts.Token);
        await request.Completion;

        output.Should().EndWith("\r\n\r\nwrote to stderr\n");
        lock (stderr)
        {
            stderr.ToString().Should().Be("first line to stderr\nsecond line in two writes\n", "the app's STDERR goes to the web server whole, in order");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task AppStderr_ReachesTheWebServer_WhileTheAppWorksOn_NotOnlyWithItsNextOutput()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);
        var logged = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using (var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = FastCgiCall.Params(server.App, "mode=stderrhang"),
            StandardError = content => logged.TrySetResult(Encoding.Latin1.GetString(System.Buffers.BuffersExtensions.ToArray(content))),
        }, cts.Token))
        {
            // The app sends nothing on STDOUT and waits (up to -idle-timeout, 30 s): the line must come before that.
            (await logged.Task.WaitAsync(cts.Token)).Should().Be("logged before hanging\n");
            request.Completion.IsCompleted.Should().BeFalse("the app is still working on the request");
            request.Abort();
        }

        await server.Pm.WaitForLineAsync(l => l.Contains("while I hung", StringComparison.Ordinal), Wait);
    }

    [Fact(Timeout = 60_000)]
    public async Task MalformedHeaderBlock_IsPassedOnAsTheAppSentIt()
    {
        using var dir = new TestDirectory();
        await using var server = await DispatchServer.StartAsync(dir);
        using var cts = new CancellationTokenSource(Wait);
        await using var connection = await ConnectAsync(server);

        var (output, end) = await FastCgiCall.SendAsync(connection, FastCgiCall.Params(server.App, "mode=malformed"), cts.Token);

        output.Should().Be("this is not a header\r\n\r\nbody\n", "the dispatcher relays FastCGI, it does not rewrite the app's answer");
        end.Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
    }
}
