using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using Pm.Protocol.Tests.Peers.Support;

namespace Pm.Protocol.Tests.Peers;

/// <summary>The client against a responder built on libfcgi, the reference C implementation, started with its socket on fd 0.</summary>
public sealed class LibFcgiPeerTests(LibFcgiResponder responder) : IClassFixture<LibFcgiResponder>, IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private System.Net.Sockets.Socket? _listener;
    private SpawnedPeer? _app;

    private string SocketPath => _directory.File("app.sock");

    public Task InitializeAsync()
    {
        _listener = Listeners.Unix(SocketPath);
        _app = SpawnedPeer.Start(responder.Path, [], _directory.File("app.log"), _listener);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app!.DisposeAsync();
        _listener!.Dispose();
        _directory.Dispose();
    }

    private Task<FastCgiClientConnection> ConnectAsync() =>
        FastCgiClientConnection.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(SocketPath)).WaitAsync(TestTimeouts.Operation);

    private static uint Fnv(byte[] bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Get_ReachesTheResponderAndItsAnswerComesBack()
    {
        await using var connection = await ConnectAsync();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("REQUEST_METHOD", "GET"), ("QUERY_STRING", "a=1&b=%20")));
        var output = await Streams.ReadAllTextAsync(request.Output);

        output.Should().Be("Content-Type: text/plain\r\n\r\nquery=a=1&b=%20\nbody=0 fnv=811c9dc5\n");
        (await request.Completion).Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Post_BodyOfSeveralMegabytes_ArrivesWhole()
    {
        var body = Streams.Pattern(3 * 1024 * 1024 + 17, seed: 5);
        await using var connection = await ConnectAsync();

        await using var request = await connection.BeginRequestAsync(
            TestHandlers.Params(("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", body.Length.ToString())),
            PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(body)));
        var output = await Streams.ReadAllTextAsync(request.Output);

        output.Should().EndWith($"body={body.Length} fnv={Fnv(body):x8}\n");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task LargeResponse_IsStreamedIntact()
    {
        const int size = 10 * 1024 * 1024;
        await using var connection = await ConnectAsync();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("QUERY_STRING", $"bytes={size}")));
        var output = await Streams.ReadAllAsync(request.Output);

        var header = Encoding.ASCII.GetBytes($"Content-Type: text/plain\r\n\r\nquery=bytes={size}\nbody=0 fnv=811c9dc5\n");
        output.Length.Should().Be(header.Length + size);
        output.AsSpan(0, header.Length).SequenceEqual(header).Should().BeTrue();
        for (var i = 0; i < size; i += 4099)
        {
            output[header.Length + i].Should().Be((byte)(i % 251));
        }
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task KeepConn_OneConnectionServesManyRequests()
    {
        await using var connection = await ConnectAsync();

        for (var i = 0; i < 25; i++)
        {
            await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("QUERY_STRING", $"n={i}")));
            (await Streams.ReadAllTextAsync(request.Output)).Should().Contain($"query=n={i}\n");
        }

        connection.IsConnected.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task WithoutKeepConn_LibFcgiClosesAfterTheRequest()
    {
        await using var connection = await FastCgiClientConnection.ConnectAsync(
            new System.Net.Sockets.UnixDomainSocketEndPoint(SocketPath),
            new FastCgiClientOptions { KeepConnection = false });

        await using (var request = await connection.BeginRequestAsync(TestHandlers.Params()))
        {
            (await request.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
        }

        await connection.Closed.WaitAsync(TestTimeouts.Operation);
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Stderr_ReachesTheCallback()
    {
        await using var connection = await ConnectAsync();
        var stderr = new StringBuilder();

        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = TestHandlers.Params(("QUERY_STRING", "stderr")),
            StandardError = content => stderr.Append(Encoding.ASCII.GetString(content)),
        });
        await Streams.ReadAllAsync(request.Output);

        stderr.ToString().Should().Be("libfcgi says hello on stderr\n");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task GetValues_LibFcgiSaysItDoesNotMultiplex()
    {
        // The three names make 48 bytes: without the client's extra padding libfcgi would wait forever.
        await using var connection = await ConnectAsync();

        var values = await connection.GetValuesAsync().WaitAsync(TestTimeouts.Operation);

        values.GetValue(FastCgiManagementVariables.MpxsConns).Should().Be("0");
    }
}
