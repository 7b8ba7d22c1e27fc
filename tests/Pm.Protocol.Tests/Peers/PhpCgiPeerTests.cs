using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using Pm.Protocol.Tests.Peers.Support;

namespace Pm.Protocol.Tests.Peers;

/// <summary>
/// The client against php-cgi, PHP's own FastCGI implementation. It is started as Pm starts it: the listening
/// socket on fd 0, one process (PHP_FCGI_CHILDREN=0), no php.ini.
/// </summary>
public sealed class PhpCgiPeerTests : IAsyncLifetime
{
    private const string Script = """
        <?php
        header('Content-Type: text/plain');
        echo "method=", $_SERVER['REQUEST_METHOD'], "\n";
        echo "query=", $_SERVER['QUERY_STRING'], "\n";
        echo "body=", strlen(file_get_contents('php://input')), "\n";
        if (isset($_GET['stderr'])) { error_log('php says hello on stderr'); }
        if (isset($_GET['bytes'])) { echo str_repeat('x', (int)$_GET['bytes']); }
        """;

    private readonly TempDirectory _directory = new();
    private System.Net.Sockets.Socket? _listener;
    private SpawnedPeer? _php;

    private string SocketPath => _directory.File("php.sock");

    private string ScriptPath => _directory.File("index.php");

    public Task InitializeAsync()
    {
        File.WriteAllText(ScriptPath, Script);
        _listener = Listeners.Unix(SocketPath);
        _php = SpawnedPeer.Start(
            "/usr/bin/php-cgi",
            ["-n", "-d", "cgi.force_redirect=0", "-d", "log_errors=1", "-d", "display_errors=0"],
            _directory.File("php.log"),
            _listener,
            new Dictionary<string, string> { ["PHP_FCGI_CHILDREN"] = "0", ["PHP_FCGI_MAX_REQUESTS"] = "10000" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _php!.DisposeAsync();
        _listener!.Dispose();
        _directory.Dispose();
    }

    private IReadOnlyList<KeyValuePair<string, string>> Params(string method, string query, int contentLength = 0) => TestHandlers.Params(
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SCRIPT_FILENAME", ScriptPath),
        ("SCRIPT_NAME", "/index.php"),
        ("REQUEST_METHOD", method),
        ("QUERY_STRING", query),
        ("CONTENT_LENGTH", contentLength.ToString()),
        ("CONTENT_TYPE", "application/octet-stream"),
        ("SERVER_PROTOCOL", "HTTP/1.1"));

    private Task<FastCgiClientConnection> ConnectAsync(FastCgiClientOptions? options = null) =>
        FastCgiClientConnection.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(SocketPath), options).WaitAsync(TestTimeouts.Operation);

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Get_RunsTheScript()
    {
        await using var connection = await ConnectAsync();

        await using var request = await connection.BeginRequestAsync(Params("GET", "a=1"));
        var output = await Streams.ReadAllTextAsync(request.Output);

        output.Should().Contain("Content-type: text/plain").And.EndWith("method=GET\nquery=a=1\nbody=0\n");
        (await request.Completion).Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Post_BodyReachesTheScript()
    {
        var body = Streams.Pattern(1_000_003, seed: 9);
        await using var connection = await ConnectAsync();

        await using var request = await connection.BeginRequestAsync(Params("POST", string.Empty, body.Length), PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(body)));

        (await Streams.ReadAllTextAsync(request.Output)).Should().EndWith($"body={body.Length}\n");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task KeepConn_OneConnectionServesManyRequests_AndLargeResponsesArriveWhole()
    {
        await using var connection = await ConnectAsync();

        for (var i = 0; i < 10; i++)
        {
            await using var request = await connection.BeginRequestAsync(Params("GET", $"bytes={i * 300_000}"));
            var output = await Streams.ReadAllTextAsync(request.Output);
            output.Should().EndWith($"body=0\n{new string('x', i * 300_000)}");
        }

        connection.IsConnected.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task ErrorLog_ArrivesOnStderr()
    {
        await using var connection = await ConnectAsync();
        var stderr = new StringBuilder();

        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = Params("GET", "stderr=1"),
            StandardError = content => stderr.Append(Encoding.UTF8.GetString(content)),
        });
        await Streams.ReadAllAsync(request.Output);
        await request.Completion;

        stderr.ToString().Should().Contain("php says hello on stderr");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task GetValues_PhpAnswers()
    {
        await using var connection = await ConnectAsync();

        var values = await connection.GetValuesAsync().WaitAsync(TestTimeouts.Operation);

        values.GetValue(FastCgiManagementVariables.MpxsConns).Should().Be("0");
        values.ContainsName(FastCgiManagementVariables.MaxConns).Should().BeTrue();
    }
}
