using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// php-cgi behind `pm serve` with -document-root is safe by default: only .php files reach php-cgi (an uploaded
/// evil.txt holding PHP code is sent as its text, or 404 with -static off, and never runs), directories redirect to
/// their slash URL and run their index.php, nothing outside the root or hidden is served, and a chunked POST reaches
/// PHP with CONTENT_LENGTH set (from memory or from a temporary file that is gone afterwards), or 413 past the limit.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class PhpSafetyTests
{
    private const string Evil = "<?php echo \"RAN\"; ?>";

    private static readonly Dictionary<string, string> Files = new()
    {
        ["evil.txt"] = Evil,
        ["up/evil.txt"] = Evil,
        ["x.php"] = """
            <?php
            header('Content-Type: text/plain');
            echo "x.php ran\n", 'SCRIPT_NAME=', $_SERVER['SCRIPT_NAME'], "\n", 'PATH_INFO=', $_SERVER['PATH_INFO'] ?? '', "\n";
            """,
        ["dir/index.php"] = """
            <?php
            header('Content-Type: text/plain');
            echo "index of dir ran: ", $_SERVER['SCRIPT_NAME'], "\n";
            """,
        ["post.php"] = """
            <?php
            header('Content-Type: text/plain');
            $in = file_get_contents('php://input');
            echo 'CONTENT_LENGTH=', $_SERVER['CONTENT_LENGTH'] ?? '-', ' input=', strlen($in), ' fnv=', hash('fnv1a64', $in), ' post=', json_encode($_POST), "\n";
            """,
        [".htaccess"] = "Require all denied\n",
        ["style.css"] = "body { color: red }\n",
    };

    private static async Task<(FrontEndServer Server, string Root, string Temp)> StartAsync(TestDirectory dir, string options = "", string globals = "")
    {
        var root = Directory.CreateDirectory(dir.File("www")).FullName;
        foreach (var (name, text) in Files)
        {
            var path = Path.Combine(root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        // The web processes' $TMPDIR: where their private directory for big chunked bodies goes, looked at below.
        var temp = Directory.CreateDirectory(dir.File("tmp")).FullName;
        var php = dir.Link("php-cgi", FrontEndApps.PhpCgi);
        var server = await FrontEndServer.StartAsync(dir, $"""
            {globals}
            FastCgiServer {php} -processes 1 -url /php -document-root {root} {options} -initial-env PHP_FCGI_CHILDREN=2 -arg -dpost_max_size=64M
            """, new Dictionary<string, string> { ["TMPDIR"] = temp });
        return (server, root, temp);
    }

    [Fact(Timeout = 60_000)]
    public async Task UploadedTextHoldingPhp_IsSentAsItsSourceAndNeverRuns()
    {
        using var dir = new TestDirectory();
        var (server, _, _) = await StartAsync(dir);
        await using (server)
        {
            using (var response = await server.Client.GetAsync("/php/up/evil.txt"))
            {
                response.StatusCode.Should().Be(HttpStatusCode.OK);
                response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
                response.Content.Headers.ContentLength.Should().Be(Evil.Length);
                (await response.Content.ReadAsStringAsync()).Should().Be(Evil, "the file's source, not its output");
            }

            // cgi.fix_pathinfo's hole: a .php name after a file that is not a script must not run that file.
            using (var response = await server.Client.GetAsync("/php/up/evil.txt/x.php"))
            {
                response.StatusCode.Should().Be(HttpStatusCode.NotFound);
                (await response.Content.ReadAsStringAsync()).Should().NotContain("RAN");
            }

            using (var css = await server.Client.GetAsync("/php/style.css"))
            {
                css.Content.Headers.ContentType!.MediaType.Should().Be("text/css");
            }

            server.Pm.Output.Should().NotContain("RAN");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StaticOff_FilesThatAreNotScriptsAreNotFound()
    {
        using var dir = new TestDirectory();
        var (server, _, _) = await StartAsync(dir, "-static off");
        await using (server)
        {
            using var response = await server.Client.GetAsync("/php/evil.txt");
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await response.Content.ReadAsStringAsync()).Should().NotContain("RAN").And.NotContain("<?php");
            (await server.Client.GetStringAsync("/php/x.php")).Should().StartWith("x.php ran\n");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ScriptsDirectoriesAndPathInfo_AreServedAsNginxWithPhpFpmWould()
    {
        using var dir = new TestDirectory();
        var (server, _, _) = await StartAsync(dir);
        await using (server)
        {
            (await server.Client.GetStringAsync("/php/x.php")).Should().Be("x.php ran\nSCRIPT_NAME=/php/x.php\nPATH_INFO=\n");
            (await server.Client.GetStringAsync("/php/x.php/extra/path")).Should().Be("x.php ran\nSCRIPT_NAME=/php/x.php\nPATH_INFO=/extra/path\n");

            using (var redirect = await server.Client.GetAsync("/php/dir?a=1"))
            {
                redirect.StatusCode.Should().Be(HttpStatusCode.MovedPermanently);
                redirect.Headers.Location!.OriginalString.Should().Be("/php/dir/?a=1");
            }

            (await server.Client.GetStringAsync("/php/dir/")).Should().Be("index of dir ran: /php/dir/index.php\n");
            (await server.Client.GetAsync("/php/up/")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "no index and no listing");
            (await server.Client.GetAsync("/php/.htaccess")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StaticFile_HasValidatorsRangesAndHead()
    {
        using var dir = new TestDirectory();
        var (server, _, _) = await StartAsync(dir);
        await using (server)
        {
            using var first = await server.Client.GetAsync("/php/style.css");
            var etag = first.Headers.ETag!;
            first.Content.Headers.LastModified.Should().NotBeNull();

            using var conditional = new HttpRequestMessage(HttpMethod.Get, "/php/style.css");
            conditional.Headers.IfNoneMatch.Add(etag);
            (await server.Client.SendAsync(conditional)).StatusCode.Should().Be(HttpStatusCode.NotModified);

            using var range = new HttpRequestMessage(HttpMethod.Get, "/php/style.css");
            range.Headers.Range = new RangeHeaderValue(5, 9);
            using var partial = await server.Client.SendAsync(range);
            partial.StatusCode.Should().Be(HttpStatusCode.PartialContent);
            (await partial.Content.ReadAsStringAsync()).Should().Be("{ col");
            partial.Content.Headers.ContentRange!.ToString().Should().Be("bytes 5-9/20");

            using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/php/style.css"));
            head.Content.Headers.ContentLength.Should().Be(20);
            (await head.Content.ReadAsByteArrayAsync()).Should().BeEmpty();

            using var post = await server.Client.PostAsync("/php/style.css", new StringContent("x"));
            post.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task PathsEscapingTheRoot_AreRefused()
    {
        using var dir = new TestDirectory();
        var (server, root, _) = await StartAsync(dir);
        await using (server)
        {
            File.CreateSymbolicLink(Path.Combine(root, "passwd.txt"), "/etc/passwd");
            Directory.CreateSymbolicLink(Path.Combine(root, "etc"), "/etc");
            foreach (var target in new[] { "/php/../../../etc/passwd", "/php/%2e%2e/%2e%2e/etc/passwd", "/php/..%2f..%2fetc/passwd", "/php/passwd.txt", "/php/etc/passwd" })
            {
                var (status, body) = await RawGetAsync(server.Port, target);
                status.Should().BeOneOf([400, 403, 404], target);
                body.Should().NotContain("root:", target);
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ChunkedPost_ReachesPhpWithItsLength_FromMemoryAndFromATemporaryFile()
    {
        using var dir = new TestDirectory();
        var (server, _, temp) = await StartAsync(dir);
        await using (server)
        {
            var form = "a=1&b=two+words"u8.ToArray();
            using (var content = new ChunkedContent(form, "application/x-www-form-urlencoded"))
            using (var response = await server.Client.PostAsync("/php/post.php", content))
            {
                (await response.Content.ReadAsStringAsync()).Should().Be(
                    $"CONTENT_LENGTH={form.Length} input={form.Length} fnv={Checksums.Fnv1a64(form)} post={{\"a\":\"1\",\"b\":\"two words\"}}\n");
            }

            Directory.GetDirectories(temp).Should().BeEmpty("a small body stays in memory");

            var big = Checksums.Body(3 * 1024 * 1024);
            using (var content = new ChunkedContent(big, "application/octet-stream"))
            using (var response = await server.Client.PostAsync("/php/post.php", content))
            {
                (await response.Content.ReadAsStringAsync()).Should().Be($"CONTENT_LENGTH={big.Length} input={big.Length} fnv={Checksums.Fnv1a64(big)} post=[]\n");
            }

            var spool = Directory.GetDirectories(temp).Should().ContainSingle("past 1M the body went to the private directory").Subject;
            Path.GetFileName(spool).Should().StartWith("pm-body-");
            (File.GetUnixFileMode(spool) & (UnixFileMode)0x1FF).Should().Be((UnixFileMode)0x1C0, "0700");
            Directory.GetFileSystemEntries(spool).Should().BeEmpty("each body's file is unlinked as soon as it is made");

            (await server.Pm.StopAsync(FrontEndServer.Wait)).Should().Be(0);
            Directory.GetFileSystemEntries(temp).Should().BeEmpty("the web process removes its directory when it stops");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task BodyPastPmRequestBodyMax_Gets413AndNeverReachesPhp()
    {
        using var dir = new TestDirectory();
        var (server, _, _) = await StartAsync(dir, globals: "PmRequestBodyBuffer 64k\nPmRequestBodyMax 1M");
        await using (server)
        {
            var body = Checksums.Body(2 * 1024 * 1024);
            using (var content = new ChunkedContent(body, "application/octet-stream"))
            using (var response = await server.Client.PostAsync("/php/post.php", content))
            {
                response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
            }

            using (var content = new ByteArrayContent(body))
            using (var response = await server.Client.PostAsync("/php/post.php", content))
            {
                response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, "a Content-Length past the limit is refused before the body is read");
            }

            var fits = Checksums.Body(512 * 1024);
            using (var content = new ChunkedContent(fits, "application/octet-stream"))
            using (var response = await server.Client.PostAsync("/php/post.php", content))
            {
                (await response.Content.ReadAsStringAsync()).Should().StartWith($"CONTENT_LENGTH={fits.Length} input={fits.Length} ");
            }

            server.WebLines.Should().Contain(l => l.Contains("413 for POST /php/post.php: its body (chunked) went past PmRequestBodyMax (1048576 bytes)", StringComparison.Ordinal));
        }
    }

    /// <summary>One GET with the target exactly as given (HttpClient would normalize the dots away): status and body.</summary>
    private static async Task<(int Status, string Body)> RawGetAsync(int port, string target)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        var text = await new StreamReader(stream, Encoding.Latin1).ReadToEndAsync();
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    /// <summary>A body without a length: HttpClient sends it with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _body;

        public ChunkedContent(byte[] body, string contentType)
        {
            _body = body;
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // In pieces, as a streaming client sends them: several chunks, not one.
            for (var offset = 0; offset < _body.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(_body.AsMemory(offset, Math.Min(64 * 1024, _body.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
