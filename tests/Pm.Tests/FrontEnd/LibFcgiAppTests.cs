using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>Through `pm serve` to the libfcgi test app: methods, big bodies both ways, headers, statuses, streaming.</summary>
[Collection(RealProcesses.Name)]
public sealed class LibFcgiAppTests
{
    private static async Task<FrontEndServer> StartAsync(TestDirectory dir, string options = "")
    {
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        return await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t {options}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Get_ReachesTheApp_WithTheCgiVariablesOfTheRequest()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-pass-header Authorization");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/some/path?mode=env&x=%20y");
        request.Headers.Add("X-Custom", "custom value");
        request.Headers.Add("X-Repeated", ["one", "two"]);
        request.Headers.TryAddWithoutValidation("Proxy", "http://evil.example/");
        request.Headers.TryAddWithoutValidation("X_Underscore", "spoof");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await server.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var env = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        env["GATEWAY_INTERFACE"].Should().Be("CGI/1.1");
        env["REQUEST_METHOD"].Should().Be("GET");
        env["SCRIPT_NAME"].Should().Be("/t");
        env["PATH_INFO"].Should().Be("/some/path");
        env["QUERY_STRING"].Should().Be("mode=env&x=%20y");
        env["REQUEST_URI"].Should().Be("/t/some/path?mode=env&x=%20y");
        env["SCRIPT_FILENAME"].Should().Be(dir.File("fcgi-test"));
        env["SERVER_PROTOCOL"].Should().Be("HTTP/1.1");
        env["SERVER_PORT"].Should().Be(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        env["SERVER_NAME"].Should().Be("127.0.0.1");
        env["REMOTE_ADDR"].Should().Be("127.0.0.1");
        env.Should().ContainKey("REMOTE_PORT");
        env["REDIRECT_STATUS"].Should().Be("200");
        env["HTTP_X_CUSTOM"].Should().Be("custom value");
        env["HTTP_X_REPEATED"].Should().Be("one, two");
        env["HTTP_AUTHORIZATION"].Should().Be("Basic dXNlcjpwYXNz", "-pass-header Authorization lets it through");
        env["REMOTE_USER"].Should().Be("user", "the Basic user, for an app that is given the credentials");
        env["DOCUMENT_URI"].Should().Be("/t/some/path");
        env.Should().NotContainKey("HTTP_PROXY", "httpoxy: a Proxy header must never become HTTP_PROXY");
        env.Should().NotContainKey("HTTP_X_UNDERSCORE", "a name with '_' could pass for one with '-'");
        env.Should().NotContainKey("CONTENT_LENGTH");
    }

    [Fact(Timeout = 60_000)]
    public async Task AuthorizationHeader_WithoutPassHeader_IsWithheld()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t?mode=env");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "c2VjcmV0");
        using var response = await server.Client.SendAsync(request);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("AUTHORIZATION").And.NotContain("c2VjcmV0");
    }

    [Fact(Timeout = 60_000)]
    public async Task Head_GetsTheHeaders_AndNoBody()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/t?mode=big&n=5000&cl=1"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.Should().Be(5000);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        (await response.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
    }

    [Fact(Timeout = 60_000)]
    public async Task Post10Mb_StreamsToTheApp_Intact()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        var body = Checksums.Body(10 * 1024 * 1024);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await server.Client.PostAsync("/t?mode=echo", content);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be($"length={body.Length} fnv={Checksums.Fnv1a64(body)}\n");
    }

    [Fact(Timeout = 60_000)]
    public async Task ChunkedPostWithoutLength_ReachesTheAppWhole()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        var body = Checksums.Body(300_000, seed: 7);
        using var content = new StreamContent(new NonSeekableStream(body));
        using var response = await server.Client.PostAsync("/t?mode=echo", content);
        (await response.Content.ReadAsStringAsync()).Should().Be($"length={body.Length} fnv={Checksums.Fnv1a64(body)}\n");
    }

    [Theory(Timeout = 60_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Response10Mb_WithOrWithoutTheAppsLength_ArrivesIntact(bool withLength)
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        const int size = 10 * 1024 * 1024;
        using var response = await server.Client.GetAsync($"/t?mode=big&n={size}&cl={(withLength ? 1 : 0)}", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        if (withLength)
        {
            response.Content.Headers.ContentLength.Should().Be(size);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Length.Should().Be(size);
        bytes.AsSpan().SequenceEqual(Checksums.Pattern(size)).Should().BeTrue();
    }

    [Fact(Timeout = 60_000)]
    public async Task CustomAndRepeatedHeaders_ArePassedOn_InOrder()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        using var response = await server.Client.GetAsync("/t?mode=headers");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("X-Test").Should().Equal("one");
        response.Headers.GetValues("Set-Cookie").Should().Equal("a=1", "b=2");
        response.Headers.GetValues("X-Multi").Should().Equal("x", "y");
        response.Headers.CacheControl!.NoCache.Should().BeTrue();
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await response.Content.ReadAsStringAsync()).Should().Be("headers\n");
    }

    [Fact(Timeout = 60_000)]
    public async Task AppStatus404_IsTheResponseStatus()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        using var response = await server.Client.GetAsync("/t?mode=status");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.ReasonPhrase.Should().Be("Not Found");
        (await response.Content.ReadAsStringAsync()).Should().Be("not here\n");
    }

    [Fact(Timeout = 60_000)]
    public async Task LocationWithoutStatus_IsA302Redirect()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        using var response = await server.Client.GetAsync("/t?mode=redirect");
        response.StatusCode.Should().Be(HttpStatusCode.Found);
        response.Headers.Location.Should().Be(new Uri("http://example.test/elsewhere"));
    }

    [Fact(Timeout = 60_000)]
    public async Task SlowResponse_WithFlush_ReachesTheClientAsTheAppWritesIt()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir, "-flush");
        using var response = await server.Client.GetAsync("/t?mode=slow&n=4&ms=400", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var arrivals = new List<(string Line, DateTime At)>();
        while (await reader.ReadLineAsync() is { } line)
        {
            arrivals.Add((line, DateTime.UtcNow));
        }

        arrivals.Select(a => a.Line).Should().Equal("chunk 1", "chunk 2", "chunk 3", "chunk 4");
        (arrivals[^1].At - arrivals[0].At).Should().BeGreaterThan(TimeSpan.FromMilliseconds(900),
            "the chunks came 400 ms apart, and each was passed on when it came, not all at the end");
    }

    [Fact(Timeout = 60_000)]
    public async Task SlowResponse_WithoutFlush_ArrivesWholeAndIntact()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        var text = await server.Client.GetStringAsync("/t?mode=slow&n=3&ms=100");
        text.Should().Be("chunk 1\nchunk 2\nchunk 3\n");
    }

    [Fact(Timeout = 60_000)]
    public async Task AppStderr_IsLoggedLineByLine_WithAppAndPid()
    {
        using var dir = new TestDirectory();
        await using var server = await StartAsync(dir);
        (await server.Client.GetStringAsync("/t?mode=stderr")).Should().Be("wrote to stderr\n");

        var first = await server.Pm.WaitForLineAsync(l => l.Contains("first line to stderr", StringComparison.Ordinal), FrontEndServer.Wait);
        var second = await server.Pm.WaitForLineAsync(l => l.Contains("second line in two writes", StringComparison.Ordinal), FrontEndServer.Wait);
        var pids = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == dir.File("fcgi-test")).Instances.Select(i => i.Pid).ToList();
        pids.Should().Contain(p => first.Contains($"{dir.File("fcgi-test")}[{p}]: first line to stderr", StringComparison.Ordinal),
            "the line is tagged with the app and the pid of the instance that wrote it");
        second.Should().Contain($"{dir.File("fcgi-test")}[").And.Contain("]: second line in two writes");
    }

    [Fact(Timeout = 60_000)]
    public async Task MultiplexingApp_GetsKeptConnections_AndLibFcgiOnePerRequest()
    {
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", Paths.Hello);
        var test = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            FastCgiServer {hello} -processes 1 -url /hello
            FastCgiServer {test} -processes 1 -url /t
            """);
        for (var i = 0; i < 3; i++)
        {
            (await server.Client.GetStringAsync("/hello")).Should().Contain("Hello from Pm");
            (await server.Client.GetStringAsync("/t")).Should().StartWith("pid ");
        }

        await server.Pm.WaitForLineAsync(l => l.Contains($"app {hello}: FCGI_MPXS_CONNS=1", StringComparison.Ordinal), FrontEndServer.Wait);
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.Client.GetStringAsync("/hello?sleep=50")));
        answers.Should().AllSatisfy(a => a.Should().Contain("Hello from Pm"));
        server.Pm.Output.Should().NotContain($"app {test}: FCGI_MPXS_CONNS=1", "libfcgi serves one connection at a time");
    }

    /// <summary>A stream without a length, so the client sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
