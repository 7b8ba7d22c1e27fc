using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;
using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Cgi;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Proxy;
using Pm.Protocol.FastCgi;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>The proxy's answers and retries against in-process apps, without Kestrel: an HttpContext in memory.</summary>
public sealed class FastCgiProxyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => canHaveBody;
    }

    private sealed class Exchange : IAsyncDisposable
    {
        private readonly MemoryStream _logBytes = new();

        public Exchange(ScriptedApp app, TimeProvider? time = null, TimeSpan? idleTimeout = null)
            : this(app.SocketPath, app.Directory, time, idleTimeout)
        {
        }

        public Exchange(string socketPath, string directory, TimeProvider? time = null, TimeSpan? idleTimeout = null)
        {
            Log = new WebLog(_logBytes);
            Backend = new AppBackend("/srv/app", AppAddress.Unix(socketPath),
                new RequestSettings(TimeSpan.Zero, idleTimeout ?? TimeSpan.FromSeconds(30), false, [], false),
                "/app", null, directory, time ?? TimeProvider.System, Log);
            Proxy = new FastCgiProxy(Log);
        }

        public WebLog Log { get; }

        public AppBackend Backend { get; }

        public FastCgiProxy Proxy { get; }

        public static DefaultHttpContext Context(string method, byte[]? body = null)
        {
            var context = new DefaultHttpContext();
            context.Request.Method = method;
            context.Request.Protocol = "HTTP/1.1";
            context.Request.Path = "/app/x";
            context.Features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(body is not null));
            if (body is not null)
            {
                context.Request.Body = new MemoryStream(body);
                context.Request.ContentLength = body.Length;
            }

            context.Response.Body = new MemoryStream();
            return context;
        }

        public Task ForwardAsync(HttpContext context) =>
            Proxy.ForwardAsync(context, Backend, new ScriptTarget("/app", "/x", "/srv/app", null));

        /// <summary>One answered request, and the FCGI_GET_VALUES question it starts answered too: later connections are the test's own.</summary>
        public async Task WarmUpAsync()
        {
            var context = Context("GET");
            await ForwardAsync(context).WaitAsync(Wait);
            context.Response.StatusCode.Should().Be(200);
            await Backend.Pool.Probe.WaitAsync(Wait);
        }

        public static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

        /// <summary>The log lines, once the log is closed.</summary>
        public async Task<string> LogTextAsync()
        {
            await Log.DisposeAsync();
            return Encoding.UTF8.GetString(_logBytes.ToArray());
        }

        public async ValueTask DisposeAsync()
        {
            await Backend.DisposeAsync();
            await Log.DisposeAsync();
        }
    }

    private static FastCgiRequestHandler Answer(string head, string body) => request =>
    {
        request.Stdout.Write(Encoding.ASCII.GetBytes(head + "\r\n\r\n" + body));
        return ValueTask.FromResult(0);
    };

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_GetWhoseConnectionClosesUnanswered_IsSentOnceMore()
    {
        await using var app = new ScriptedApp(Answer("Content-Type: text/plain", "second try"), multiplex: false);
        await using var exchange = new Exchange(app);
        await exchange.WarmUpAsync();
        app.DropNext(1);
        var before = app.Connections;
        var context = Exchange.Context("GET");
        await exchange.ForwardAsync(context).WaitAsync(Wait);

        context.Response.StatusCode.Should().Be(200);
        (app.Connections - before).Should().Be(2);
        Exchange.Body(context).Should().Be("second try");
        (await exchange.LogTextAsync()).Should().Contain("closed the connection before answering GET").And.Contain("sending it once more");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_PostWhoseConnectionClosesUnanswered_Is502AndNotSentAgain()
    {
        await using var app = new ScriptedApp(Answer("Content-Type: text/plain", "second try"), multiplex: false);
        await using var exchange = new Exchange(app);
        await exchange.WarmUpAsync();
        app.DropNext(1);
        var before = app.Connections;
        var context = Exchange.Context("POST", Encoding.ASCII.GetBytes("data"));
        await exchange.ForwardAsync(context).WaitAsync(Wait);

        context.Response.StatusCode.Should().Be(502);
        (app.Connections - before).Should().Be(1, "a request whose body was sent is never sent twice");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_GetTwiceUnanswered_Is502()
    {
        await using var app = new ScriptedApp(Answer("Content-Type: text/plain", "never"), multiplex: false);
        await using var exchange = new Exchange(app);
        await exchange.WarmUpAsync();
        app.DropNext(2);
        var context = Exchange.Context("GET");
        await exchange.ForwardAsync(context).WaitAsync(Wait);
        context.Response.StatusCode.Should().Be(502);
    }

    /// <summary>A client that takes nothing until released: what it was sent by then shows in <see cref="Sent"/>.</summary>
    private sealed class HeldClient : MemoryStream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Sent => Length;

        public void Release() => _released.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _released.Task.WaitAsync(cancellationToken);
            await base.WriteAsync(buffer, cancellationToken);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_ClosesTheAppsConnectionAtEndRequest_BeforeTheClientIsSentTheAnswer()
    {
        // Like libfcgi: after END_REQUEST the app waits for the web server's close before it takes its next connection.
        using var dir = new TestDirectory();
        var path = dir.File("app.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(8);
        await using var exchange = new Exchange(path, dir.Path);
        var context = Exchange.Context("GET");
        var client = new HeldClient();
        context.Response.Body = client;

        var forwarding = exchange.ForwardAsync(context);
        using var app = await listener.AcceptAsync().WaitAsync(Wait);
        var received = new List<byte>();
        var chunk = new byte[4096];
        byte[] endOfStdin = [1, (byte)FastCgiRecordType.Stdin, 0, 1, 0, 0, 0, 0];
        while (received.Count < endOfStdin.Length || !received[^endOfStdin.Length..].SequenceEqual(endOfStdin))
        {
            var count = await app.ReceiveAsync(chunk.AsMemory()).AsTask().WaitAsync(Wait);
            count.Should().BePositive("the request ends with an empty STDIN record");
            received.AddRange(chunk.AsSpan(0, count));
        }

        var answer = new ArrayBufferWriter<byte>();
        FastCgiRecordWriter.WriteStream(answer, FastCgiRecordType.Stdout, 1, Encoding.ASCII.GetBytes("Content-Type: text/plain\r\n\r\nok"));
        FastCgiRecordWriter.WriteEndOfStream(answer, FastCgiRecordType.Stdout, 1);
        FastCgiRecordWriter.WriteEndRequest(answer, 1, 0, FastCgiProtocolStatus.RequestComplete);
        await app.SendAsync(answer.WrittenMemory).AsTask().WaitAsync(Wait);

        (await app.ReceiveAsync(chunk.AsMemory()).AsTask().WaitAsync(Wait)).Should().Be(0, "the web side closes once END_REQUEST is in");
        client.Sent.Should().Be(0, "the client has taken nothing yet");
        client.Release();
        await forwarding.WaitAsync(Wait);
        context.Response.StatusCode.Should().Be(200);
        Encoding.ASCII.GetString(client.ToArray()).Should().Be("ok");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_MalformedHead_Is502WithTheReasonLogged()
    {
        await using var app = new ScriptedApp(Answer("Not a header", "x"), multiplex: false);
        await using var exchange = new Exchange(app);
        var context = Exchange.Context("GET");
        await exchange.ForwardAsync(context).WaitAsync(Wait);

        context.Response.StatusCode.Should().Be(502);
        Exchange.Body(context).Should().Contain("malformed").And.NotContain("Not a header", "details go to the log, not to the user");
        (await exchange.LogTextAsync()).Should().Contain("/srv/app[").And.Contain("502 for GET /app/x: malformed response");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_AppSilentForItsIdleTimeout_Is504OnTheInjectedClock()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = new ScriptedApp(async request =>
        {
            received.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, request.Aborted);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        }, multiplex: false);
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(50).AddMilliseconds(7));
        await using var exchange = new Exchange(app, clock, idleTimeout: TimeSpan.FromSeconds(30));
        var context = Exchange.Context("GET");
        var forwarding = exchange.ForwardAsync(context);
        await received.Task.WaitAsync(Wait);
        forwarding.IsCompleted.Should().BeFalse();

        clock.Advance(TimeSpan.FromSeconds(31));
        await forwarding.WaitAsync(Wait);
        context.Response.StatusCode.Should().Be(504);
        (await exchange.LogTextAsync()).Should().Contain("504 for GET /app/x").And.Contain("-idle-timeout");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_StatusLocationAndRepeatedHeaders_AreTheResponse()
    {
        await using var app = new ScriptedApp(Answer("Status: 301 Moved\r\nLocation: /new\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2", ""), multiplex: false);
        await using var exchange = new Exchange(app);
        var context = Exchange.Context("GET");
        await exchange.ForwardAsync(context).WaitAsync(Wait);

        context.Response.StatusCode.Should().Be(301);
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase.Should().Be("Moved");
        context.Response.Headers.Location.ToString().Should().Be("/new");
        context.Response.Headers.SetCookie.ToArray().Should().Equal("a=1", "b=2");
    }

    [Fact(Timeout = 30_000)]
    public async Task ForwardAsync_UnreachableApp_Is503WithRetryAfter()
    {
        await using var app = new ScriptedApp(Answer("Content-Type: text/plain", "x"), multiplex: false);
        await using var log = new WebLog(Stream.Null);
        await using var backend = new AppBackend("/srv/gone", AppAddress.Unix(Path.Combine(app.Directory, "missing.sock")),
            new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30), false, [], false), "/app", null, app.Directory, TimeProvider.System, log);
        var context = Exchange.Context("GET");
        await new FastCgiProxy(log).ForwardAsync(context, backend, new ScriptTarget("/app", "", "/srv/gone", null)).WaitAsync(Wait);

        context.Response.StatusCode.Should().Be(503);
        context.Response.Headers.RetryAfter.ToString().Should().Be("5");
    }
}
