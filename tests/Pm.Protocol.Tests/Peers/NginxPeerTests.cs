using System.Net;
using System.Security.Cryptography;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using Pm.Protocol.Tests.Peers.Support;

namespace Pm.Protocol.Tests.Peers;

/// <summary>The server behind nginx, driven over HTTP.</summary>
public class NginxPeerTests
{
    private static async ValueTask<int> Respond(FastCgiServerRequest request)
    {
        var length = 0L;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            var result = await request.Stdin.ReadAsync(request.Aborted);
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
        var size = query.StartsWith("bytes=", StringComparison.Ordinal) ? int.Parse(query["bytes=".Length..]) : 0;
        var body = $"{request.Params.GetValue("REQUEST_METHOD")} {request.Params.GetValue("SCRIPT_NAME")} {query} x-test={request.Params.GetValue("HTTP_X_TEST")} body={length} {Convert.ToHexString(hash.GetHashAndReset())}\n";
        await request.Stdout.WriteAsync(Encoding.UTF8.GetBytes($"Status: 201 Created\r\nContent-Type: text/plain\r\nX-App: pm\r\n\r\n{body}"));
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'q');
        for (var sent = 0; sent < size; sent += chunk.Length)
        {
            await request.Stdout.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, size - sent)), request.Aborted);
        }

        return 0;
    }

    private static async Task<(ServerHarness Server, NginxFrontEnd Nginx, TempDirectory Directory)> StartAsync(FastCgiRequestHandler handler)
    {
        var server = ServerHarness.Start(handler);
        var directory = new TempDirectory();
        var nginx = await NginxFrontEnd.StartAsync(directory.Path, server.SocketPath);
        return (server, nginx, directory);
    }

    private static async Task StopAsync((ServerHarness Server, NginxFrontEnd Nginx, TempDirectory Directory) setup)
    {
        await setup.Nginx.DisposeAsync();
        await setup.Server.DisposeAsync();
        setup.Directory.Dispose();
        setup.Server.Errors.Should().BeEmpty();
    }

    [Theory(Timeout = TestTimeouts.PeerTestMilliseconds)]
    [InlineData("/app/page")]
    [InlineData("/keep/page")]
    public async Task Get_IsAnsweredWithTheCgiResponse(string path)
    {
        var setup = await StartAsync(Respond);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path + "?a=1");
            request.Headers.Add("X-Test", "hello world");
            using var response = await setup.Nginx.Client.SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.Created, setup.Nginx.ErrorLog);
            response.Headers.GetValues("X-App").Should().Equal("pm");
            (await response.Content.ReadAsStringAsync()).Should().Be($"GET {path} a=1 x-test=hello world body=0 {Convert.ToHexString(SHA256.HashData([]))}\n");
        }
        finally
        {
            await StopAsync(setup);
        }
    }

    [Theory(Timeout = TestTimeouts.PeerTestMilliseconds)]
    [InlineData("/app/upload")]
    [InlineData("/keep/upload")]
    public async Task Post_BodyArrivesWhole(string path)
    {
        var setup = await StartAsync(Respond);
        try
        {
            var body = Streams.Pattern(3 * 1024 * 1024 + 5, seed: 11);

            using var response = await setup.Nginx.Client.PostAsync(path, new ByteArrayContent(body));

            response.StatusCode.Should().Be(HttpStatusCode.Created, setup.Nginx.ErrorLog);
            (await response.Content.ReadAsStringAsync()).Should().EndWith($"body={body.Length} {Streams.Sha256(body)}\n");
        }
        finally
        {
            await StopAsync(setup);
        }
    }

    [Theory(Timeout = TestTimeouts.PeerTestMilliseconds)]
    [InlineData("/app/big")]
    [InlineData("/stream/big")]
    public async Task LargeResponse_ArrivesWhole(string path)
    {
        var setup = await StartAsync(Respond);
        try
        {
            using var response = await setup.Nginx.Client.GetAsync(path + "?bytes=8000000", HttpCompletionOption.ResponseHeadersRead);
            var content = await response.Content.ReadAsByteArrayAsync();

            response.StatusCode.Should().Be(HttpStatusCode.Created, setup.Nginx.ErrorLog);
            var headerLine = Array.IndexOf(content, (byte)'\n') + 1;
            (content.Length - headerLine).Should().Be(8_000_000);
            content.Skip(headerLine).Should().OnlyContain(b => b == (byte)'q');
        }
        finally
        {
            await StopAsync(setup);
        }
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task ConcurrentRequestsOverKeptConnections_AreAllAnswered()
    {
        var setup = await StartAsync(Respond);
        try
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                using var response = await setup.Nginx.Client.GetAsync($"/keep/n?i={i}");
                return (response.StatusCode, Text: await response.Content.ReadAsStringAsync());
            }));

            responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created, setup.Nginx.ErrorLog);
            responses.Select(r => r.Text.Split(' ')[2]).Should().BeEquivalentTo(Enumerable.Range(0, 40).Select(i => $"i={i}"));
        }
        finally
        {
            await StopAsync(setup);
        }
    }

    [Fact(Timeout = TestTimeouts.PeerTestMilliseconds)]
    public async Task HttpClientGoingAway_AbortsTheHandler()
    {
        var entered = new TaskCompletionSource();
        var aborted = new TaskCompletionSource();
        var setup = await StartAsync(async request =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, request.Aborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
                throw;
            }

            return 0;
        });
        try
        {
            using var cancel = new CancellationTokenSource();
            var call = setup.Nginx.Client.GetAsync("/app/slow", cancel.Token);
            await entered.Task.WaitAsync(TestTimeouts.Operation);

            cancel.Cancel();

            // nginx notices the client is gone and closes its FastCGI connection: the server aborts the request.
            await aborted.Task.WaitAsync(TestTimeouts.Operation);
            await call.ContinueWith(_ => { });
        }
        finally
        {
            await StopAsync(setup);
        }
    }
}
