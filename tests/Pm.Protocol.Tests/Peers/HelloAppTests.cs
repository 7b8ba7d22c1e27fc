using System.IO.Pipelines;
using System.Net.Sockets;
using Pm.Posix;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using Pm.Protocol.Tests.Peers.Support;

namespace Pm.Protocol.Tests.Peers;

/// <summary>The Hello example app as a real process, started the way Pm starts it.</summary>
public sealed class HelloAppTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private Socket? _listener;
    private SpawnedPeer? _hello;

    private string SocketPath => _directory.File("hello.sock");

    public Task InitializeAsync()
    {
        File.Exists(RepositoryPaths.HelloAssembly).Should().BeTrue($"the Hello app is built with the tests ({RepositoryPaths.HelloAssembly})");
        _listener = Listeners.Unix(SocketPath);
        _hello = SpawnedPeer.Start(Dotnet(), [RepositoryPaths.HelloAssembly], _directory.File("hello.log"), _listener, new Dictionary<string, string> { ["DOTNET_NOLOGO"] = "1" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _hello!.DisposeAsync();
        _listener!.Dispose();
        _directory.Dispose();
    }

    private static string Dotnet() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists)
        ?? "/usr/share/dotnet/dotnet";

    private Task<FastCgiClientConnection> ConnectAsync(FastCgiClientOptions? options = null) =>
        FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), options).WaitAsync(TestTimeouts.Operation);

    private static IReadOnlyList<KeyValuePair<string, string>> Params(string query, string method = "GET", int contentLength = 0) => TestHandlers.Params(
        ("REQUEST_METHOD", method),
        ("SCRIPT_NAME", "/hello"),
        ("PATH_INFO", "/a<b>"),
        ("QUERY_STRING", query),
        ("CONTENT_LENGTH", contentLength.ToString()));

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task ServesTheSocketOnFd0_WithAnHtmlPage()
    {
        await using var connection = await ConnectAsync();

        await using var first = await connection.BeginRequestAsync(Params("x=1"));
        var page = await Streams.ReadAllTextAsync(first.Output);
        await using var second = await connection.BeginRequestAsync(Params("x=2"));
        var next = await Streams.ReadAllTextAsync(second.Output);

        page.Should().StartWith("Content-Type: text/html; charset=utf-8\r\nContent-Length: ");
        page.Should().Contain("<h1>Hello from Pm</h1>")
            .And.Contain($"<dt>pid</dt><dd>{_hello!.Pid}</dd>")
            .And.Contain("<dt>SCRIPT_NAME</dt><dd>/hello</dd>")
            .And.Contain("<dt>PATH_INFO</dt><dd>/a&lt;b&gt;</dd>")
            .And.Contain("<dt>QUERY_STRING</dt><dd>x=1</dd>")
            .And.Contain("#1 answered");
        next.Should().Contain("#2 answered");
        (await first.Completion).Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Post_ReportsTheBodyLength()
    {
        await using var connection = await ConnectAsync();
        var body = new byte[123_457];

        await using var request = await connection.BeginRequestAsync(Params(string.Empty, "POST", body.Length), PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(body)));

        (await Streams.ReadAllTextAsync(request.Output)).Should().Contain("<dt>request body</dt><dd>123457 bytes</dd>");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Sigterm_FinishesTheSlowRequestInFlight_ThenExitsZero()
    {
        await using var connection = await ConnectAsync(new FastCgiClientOptions { MaxConcurrentRequests = 2 });
        await using var slow = await connection.BeginRequestAsync(Params("sleep=400"));

        // Records are handled in order: once GET_VALUES is answered, the slow request has begun in the app.
        await connection.GetValuesAsync().WaitAsync(TestTimeouts.Operation);
        _hello!.Signal(Signals.SIGTERM);

        (await Streams.ReadAllTextAsync(slow.Output)).Should().Contain("<dt>slept</dt><dd>400 ms</dd>");
        (await slow.Completion).AppStatus.Should().Be(0);
        var status = await _hello.WaitForExitAsync(TestTimeouts.Operation);
        status.Clean.Should().BeTrue($"hello exits 0 after a graceful stop, not {status}; its log:\n{_hello.Log}");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task WithoutASocketOnFd0_PrintsUsageAndExits2()
    {
        await using var alone = SpawnedPeer.Start(Dotnet(), [RepositoryPaths.HelloAssembly], _directory.File("alone.log"));

        var status = await alone.WaitForExitAsync(TestTimeouts.Operation);

        status.ExitCode.Should().Be(2);
        alone.Log.Should().Contain("usage: hello");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task ListenOption_ServesAUnixSocketItBindsItself()
    {
        var path = _directory.File("own.sock");
        await using var own = SpawnedPeer.Start(Dotnet(), [RepositoryPaths.HelloAssembly, "--listen", path], _directory.File("own.log"));
        await Listeners.WaitForFileAsync(path, TestTimeouts.Operation);

        // The socket file appears at bind, just before listen: a refused first connect is retried once the app listens.
        FastCgiClientConnection? connection = null;
        await WaitUntil(async () =>
        {
            try
            {
                connection = await FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(TestTimeouts.Operation);
                return true;
            }
            catch (FastCgiConnectException)
            {
                return false;
            }
        }, TestTimeouts.Operation, $"the app accepts a connection on {path}", interval: TimeSpan.FromMilliseconds(20));

        await using (connection)
        {
            await using var request = await connection!.BeginRequestAsync(Params("own=1"));
            (await Streams.ReadAllTextAsync(request.Output)).Should().Contain($"<dt>pid</dt><dd>{own.Pid}</dd>");
        }

        own.Signal(Signals.SIGTERM);
        (await own.WaitForExitAsync(TestTimeouts.Operation)).Clean.Should().BeTrue(own.Log);
    }
}
