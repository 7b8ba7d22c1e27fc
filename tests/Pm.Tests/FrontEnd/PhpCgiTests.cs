using System.Net;
using System.Net.Http.Headers;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>Through `pm serve` to php-cgi with a document root: the scripts, PATH_INFO, big bodies, headers, streaming.</summary>
[Collection(RealProcesses.Name)]
public sealed class PhpCgiTests
{
    private static readonly Dictionary<string, string> Scripts = new()
    {
        ["echo.php"] = """
            <?php
            header('Content-Type: text/plain');
            $body = file_get_contents('php://input');
            echo 'length=', strlen($body), ' fnv=', hash('fnv1a64', $body), "\n";
            """,
        ["big.php"] = """
            <?php
            header('Content-Type: application/octet-stream');
            $block = '';
            for ($i = 0; $i < 256; $i++) { $block .= chr(($i * 31 + 7) & 255); }
            $n = (int)$_GET['n'];
            echo str_repeat($block, intdiv($n, 256)), substr($block, 0, $n % 256);
            """,
        ["headers.php"] = """
            <?php
            header('Content-Type: text/plain');
            header('X-Test: one');
            header('Set-Cookie: a=1', false);
            header('Set-Cookie: b=2', false);
            echo "headers\n";
            """,
        ["missing.php"] = """
            <?php
            http_response_code(404);
            header('Content-Type: text/plain');
            echo "not here\n";
            """,
        ["redirect.php"] = """
            <?php
            header('Location: http://example.test/elsewhere');
            """,
        ["slow.php"] = """
            <?php
            header('Content-Type: text/plain');
            while (ob_get_level() > 0) { ob_end_flush(); }
            for ($i = 1; $i <= 4; $i++) { echo "chunk $i\n"; flush(); usleep(400000); }
            """,
        ["env.php"] = """
            <?php
            header('Content-Type: text/plain');
            foreach (['SCRIPT_NAME', 'PATH_INFO', 'SCRIPT_FILENAME', 'DOCUMENT_ROOT', 'QUERY_STRING', 'REQUEST_URI', 'PHP_SELF'] as $k) {
                echo $k, '=', $_SERVER[$k] ?? '', "\n";
            }
            """,
    };

    private static async Task<(FrontEndServer Server, string Root)> StartAsync(TestDirectory dir)
    {
        var root = Directory.CreateDirectory(dir.File("www")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        foreach (var (name, text) in Scripts)
        {
            File.WriteAllText(Path.Combine(root, name), text);
        }

        File.Copy(Path.Combine(root, "env.php"), Path.Combine(root, "sub", "env.php"));
        var php = dir.Link("php-cgi", FrontEndApps.PhpCgi);
        var server = await FrontEndServer.StartAsync(dir, $"""
            FastCgiServer {php} -processes 2 -url /php -document-root {root} -flush -initial-env PHP_FCGI_CHILDREN=0 -arg -dpost_max_size=64M -arg -doutput_buffering=0
            """);
        return (server, root);
    }

    [Fact(Timeout = 60_000)]
    public async Task ScriptsUnderTheDocumentRoot_RunWithScriptNameAndPathInfo()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir);
        await using var _ = server;
        var env = Parse(await server.Client.GetStringAsync("/php/sub/env.php/extra/path?q=1"));
        env["SCRIPT_NAME"].Should().Be("/php/sub/env.php");
        env["PATH_INFO"].Should().Be("/extra/path");
        env["SCRIPT_FILENAME"].Should().Be(Path.Combine(root, "sub", "env.php"));
        env["DOCUMENT_ROOT"].Should().Be(root);
        env["QUERY_STRING"].Should().Be("q=1");
        env["REQUEST_URI"].Should().Be("/php/sub/env.php/extra/path?q=1");

        (await server.Client.GetAsync("/php/nothing-here.php")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Client.GetAsync("/php/sub")).StatusCode.Should().Be(HttpStatusCode.MovedPermanently, "a directory goes to its slash URL");
        (await server.Client.GetAsync("/php/sub/")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a directory without an index is not listed");
    }

    [Fact(Timeout = 60_000)]
    public async Task ScriptReachedThroughALinkOutOfTheDocumentRoot_IsRefused()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir);
        await using var _ = server;
        var outside = dir.Write("outside.php", "<?php echo 'should not run';");
        File.CreateSymbolicLink(Path.Combine(root, "link.php"), outside);
        using var response = await server.Client.GetAsync("/php/link.php");
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("should not run");
    }

    [Fact(Timeout = 60_000)]
    public async Task GetHeadAnd10MbPostAndResponse_AreServedIntact()
    {
        using var dir = new TestDirectory();
        var (server, _) = await StartAsync(dir);
        await using var __ = server;
        (await server.Client.GetStringAsync("/php/echo.php")).Should().Be($"length=0 fnv={Checksums.Fnv1a64([])}\n");

        using (var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/php/headers.php")))
        {
            head.StatusCode.Should().Be(HttpStatusCode.OK);
            head.Headers.GetValues("X-Test").Should().Equal("one");
            (await head.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
        }

        var body = Checksums.Body(10 * 1024 * 1024);
        using (var content = new ByteArrayContent(body))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var post = await server.Client.PostAsync("/php/echo.php", content);
            (await post.Content.ReadAsStringAsync()).Should().Be($"length={body.Length} fnv={Checksums.Fnv1a64(body)}\n");
        }

        const int size = 10 * 1024 * 1024;
        var bytes = await server.Client.GetByteArrayAsync($"/php/big.php?n={size}");
        bytes.Length.Should().Be(size);
        bytes.AsSpan().SequenceEqual(Checksums.Pattern(size)).Should().BeTrue();
    }

    [Fact(Timeout = 60_000)]
    public async Task PhpHeadersStatusesAndRedirects_ReachTheClient()
    {
        using var dir = new TestDirectory();
        var (server, _) = await StartAsync(dir);
        await using var __ = server;
        using (var response = await server.Client.GetAsync("/php/headers.php"))
        {
            response.Headers.GetValues("X-Test").Should().Equal("one");
            response.Headers.GetValues("Set-Cookie").Should().Equal("a=1", "b=2");
            (await response.Content.ReadAsStringAsync()).Should().Be("headers\n");
        }

        using (var response = await server.Client.GetAsync("/php/missing.php"))
        {
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await response.Content.ReadAsStringAsync()).Should().Be("not here\n");
        }

        using (var response = await server.Client.GetAsync("/php/redirect.php"))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Found);
            response.Headers.Location.Should().Be(new Uri("http://example.test/elsewhere"));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SlowPhpResponse_StreamsAsItIsWritten()
    {
        using var dir = new TestDirectory();
        var (server, _) = await StartAsync(dir);
        await using var __ = server;
        using var response = await server.Client.GetAsync("/php/slow.php", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var arrivals = new List<(string Line, DateTime At)>();
        while (await reader.ReadLineAsync() is { } line)
        {
            arrivals.Add((line, DateTime.UtcNow));
        }

        arrivals.Select(a => a.Line).Should().Equal("chunk 1", "chunk 2", "chunk 3", "chunk 4");
        (arrivals[^1].At - arrivals[0].At).Should().BeGreaterThan(TimeSpan.FromMilliseconds(900));
    }

    private static Dictionary<string, string> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
