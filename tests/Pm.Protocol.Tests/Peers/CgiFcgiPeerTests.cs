using System.Security.Cryptography;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using Pm.Protocol.Tests.Peers.Support;

namespace Pm.Protocol.Tests.Peers;

/// <summary>The server against cgi-fcgi (libfcgi's command-line web-server side), which sends its environment as PARAMS.</summary>
public class CgiFcgiPeerTests
{
    private static async ValueTask<int> Respond(FastCgiServerRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        while (true)
        {
            var result = await request.Stdin.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
                length += segment.Length;
            }

            request.Stdin.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        var query = request.Params.GetValue("QUERY_STRING") ?? string.Empty;
        var text = $"Content-Type: text/plain\r\n\r\nmethod={request.Params.GetValue("REQUEST_METHOD")}\nquery={query}\nbody={length} {Convert.ToHexString(hash.GetHashAndReset())}\n";
        await request.Stdout.WriteAsync(Encoding.UTF8.GetBytes(text));
        if (query.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var bytes = new byte[int.Parse(query["bytes=".Length..])];
            Array.Fill(bytes, (byte)'z');
            await request.Stdout.WriteAsync(bytes);
        }

        return 0;
    }

    private static Task<(int ExitCode, byte[] Output, string Errors)> CgiFcgiAsync(string socketPath, Dictionary<string, string> environment, byte[]? body = null) =>
        ExitingProcess.RunAsync("/usr/bin/cgi-fcgi", ["-bind", "-connect", socketPath], environment, body ?? []);

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Get_EnvironmentArrivesAsParams()
    {
        await using var server = ServerHarness.Start(Respond);

        var (exitCode, output, errors) = await CgiFcgiAsync(server.SocketPath, new() { ["REQUEST_METHOD"] = "GET", ["QUERY_STRING"] = "x=1&y=%C3%A9" });

        exitCode.Should().Be(0, errors);
        Encoding.UTF8.GetString(output).Should().Be($"Content-Type: text/plain\r\n\r\nmethod=GET\nquery=x=1&y=%C3%A9\nbody=0 {Convert.ToHexString(SHA256.HashData([]))}\n");
        server.Errors.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task Post_BodyArrivesWhole()
    {
        await using var server = ServerHarness.Start(Respond);
        var body = Streams.Pattern(700_001, seed: 3);

        var (exitCode, output, errors) = await CgiFcgiAsync(
            server.SocketPath,
            new() { ["REQUEST_METHOD"] = "POST", ["CONTENT_LENGTH"] = body.Length.ToString() },
            body);

        exitCode.Should().Be(0, errors);
        Encoding.UTF8.GetString(output).Should().EndWith($"body={body.Length} {Streams.Sha256(body)}\n");
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task LargeResponse_ArrivesWhole()
    {
        await using var server = ServerHarness.Start(Respond);

        var (exitCode, output, errors) = await CgiFcgiAsync(server.SocketPath, new() { ["REQUEST_METHOD"] = "GET", ["QUERY_STRING"] = "bytes=3000000" });

        exitCode.Should().Be(0, errors);
        var text = Encoding.ASCII.GetString(output);
        text.Should().EndWith(new string('z', 3_000_000));
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task ManyRunsInParallel_AreAllAnswered()
    {
        await using var server = ServerHarness.Start(Respond);

        var runs = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            CgiFcgiAsync(server.SocketPath, new() { ["REQUEST_METHOD"] = "GET", ["QUERY_STRING"] = $"n={i}" })));

        runs.Select(r => Encoding.UTF8.GetString(r.Output)).Should().OnlyContain(o => o.Contains("\nquery=n="));
        runs.Select(r => Encoding.UTF8.GetString(r.Output).Split('\n')[3]).Should().OnlyHaveUniqueItems();
        server.Errors.Should().BeEmpty();
    }
}
