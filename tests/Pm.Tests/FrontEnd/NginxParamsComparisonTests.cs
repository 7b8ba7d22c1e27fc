using System.Net.Http.Headers;
using System.Text;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// The same requests through real nginx, configured as php-fpm's docs have it (<c>include fastcgi_params</c>, the path
/// split, SCRIPT_FILENAME and PATH_INFO), and through `pm serve` with -document-root, to the same FastCGI app, which
/// answers with the variables it got (fcgi-test mode=env). Every variable must be the same, except the differences
/// listed in <see cref="Allowed"/>, each of which the README's table "CGI variables: Pm vs nginx" justifies.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class NginxParamsComparisonTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>A difference allowed between nginx's value and Pm's (null: the variable is absent).</summary>
    private sealed record Difference(string Variable, string Rule, Func<Ports, string?, string?, bool> Holds);

    private sealed record Ports(int Nginx, int Pm);

    private static bool EmptyVsAbsent(string? nginx, string? pm) => nginx == "" && pm is null;

    private static readonly Difference[] Allowed =
    [
        new("SERVER_SOFTWARE", "each names itself", (_, n, p) => n!.StartsWith("nginx/", StringComparison.Ordinal) && p == "Pm"),
        new("SERVER_PORT", "each its own listener's port", (ports, n, p) => n == $"{ports.Nginx}" && p == $"{ports.Pm}"),
        new("REMOTE_PORT", "each its own client connection", (_, n, p) => n is not null && p is not null),
        new("HTTP_HOST", "nginx (Debian's fastcgi_params) sends $host, without the port; Pm the Host header as sent",
            (ports, n, p) => n == "127.0.0.1" && p == $"127.0.0.1:{ports.Pm}"),
        new("CONTENT_TYPE", "nginx sends it empty, Pm leaves it out", (_, n, p) => EmptyVsAbsent(n, p)),
        new("CONTENT_LENGTH", "nginx sends it empty, Pm leaves it out", (_, n, p) => EmptyVsAbsent(n, p)),
        new("REMOTE_USER", "Pm only for an app given Authorization (-pass-header); nginx empty without credentials",
            (_, n, p) => p is null && n is not null),
        new("HTTP_AUTHORIZATION", "withheld by Pm unless -pass-header Authorization", (_, n, p) => n is not null && p is null),
        new("PATH_TRANSLATED", "Pm only, when PATH_INFO is not empty (RFC 3875 §4.1.6, as Apache)", (_, n, p) => n is null && p is not null),
        new("HTTP_CONTENT_TYPE", "nginx passes the header twice, Pm only as CONTENT_TYPE", (_, n, p) => n is not null && p is null),
        new("HTTP_CONTENT_LENGTH", "nginx passes the header twice, Pm only as CONTENT_LENGTH", (_, n, p) => n is not null && p is null),
        new("HTTP_PROXY", "httpoxy: Pm never passes the Proxy header", (_, n, p) => n is not null && p is null),
        new("HTTP_TRANSFER_ENCODING", "Pm gives the app a de-chunked body with its CONTENT_LENGTH and withholds the header; nginx passes it beside the CONTENT_LENGTH it set",
            (_, n, p) => n == "chunked" && p is null),
    ];

    [Fact(Timeout = 120_000)]
    public async Task SameRequests_ThroughNginxAndPm_GiveTheSameVariablesButTheListedDifferences()
    {
        using var dir = new TestDirectory();
        // The test made its directory: it lets www-data (nginx's worker) through to the IPC dir inside it.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
        var www = Directory.CreateDirectory(dir.File("www")).FullName;
        Directory.CreateDirectory(Path.Combine(www, "dir"));
        File.WriteAllText(Path.Combine(www, "env.php"), "");
        File.WriteAllText(Path.Combine(www, "dir", "index.php"), "");
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var pm = await FrontEndServer.StartAsync(dir, $"""
            PmServerName pm.test
            FastCgiServer {app} -socket app.sock -socket-group www-data -socket-mode 0660 -url / -document-root {www}
            """);
        await Eventually.ReadyInstancesAsync(pm.Pm, app, 1, Wait);
        var socket = Path.Combine(dir.IpcDir, "app.sock");
        await using var nginx = await NginxProcess.StartWithServerAsync(dir, $$"""
                    server_name pm.test;
                    root {{www}};
                    index index.php;
                    location ~ [^/]\.php(/|$) {
                        fastcgi_split_path_info ^(.+?\.php)(/.*)$;
                        include /etc/nginx/fastcgi_params;
                        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
                        fastcgi_param PATH_INFO $fastcgi_path_info;
                        fastcgi_pass unix:{{socket}};
                    }
            """);
        var ports = new Ports(nginx.Port, pm.Port);

        var requests = new (string Name, Func<HttpRequestMessage> Make)[]
        {
            ("GET with a query, PATH_INFO and headers", () =>
            {
                var get = new HttpRequestMessage(HttpMethod.Get, "/env.php/extra/path?mode=env&a=1&b=%20x");
                get.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:secret")));
                get.Headers.Add("Cookie", "a=1; b=2");
                get.Headers.Add("X-Custom", "one");
                get.Headers.Add("Proxy", "http://evil.example/");
                get.Headers.Accept.ParseAdd("text/plain");
                return get;
            }),
            ("POST with a body and its type", () => new HttpRequestMessage(HttpMethod.Post, "/env.php?mode=env")
            {
                Content = new StringContent("a=1&b=two", Encoding.ASCII, "application/x-www-form-urlencoded"),
            }),
            ("chunked POST", () => new HttpRequestMessage(HttpMethod.Post, "/env.php?mode=env")
            {
                Content = new ChunkedText("name=value&more=1", "application/x-www-form-urlencoded"),
            }),
            ("GET of a directory's index", () => new HttpRequestMessage(HttpMethod.Get, "/dir/?mode=env")),
        };

        using var toNginx = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports.Nginx}"), Timeout = Wait };
        using var toPm = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports.Pm}"), Timeout = Wait };
        var unexplained = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, make) in requests)
        {
            var viaNginx = await VariablesAsync(toNginx, make(), nginx.ErrorLog);
            var viaPm = await VariablesAsync(toPm, make(), pm.Pm.Output);
            viaNginx.Should().ContainKey("SCRIPT_FILENAME", name);
            foreach (var variable in viaNginx.Keys.Union(viaPm.Keys).Order(StringComparer.Ordinal))
            {
                var n = viaNginx.GetValueOrDefault(variable);
                var p = viaPm.GetValueOrDefault(variable);
                if (n == p)
                {
                    continue;
                }

                var rule = Allowed.FirstOrDefault(d => d.Variable == variable);
                if (rule is null || !rule.Holds(ports, n, p))
                {
                    unexplained.Add($"{name}: {variable}: nginx {Show(n)}, Pm {Show(p)}{(rule is null ? "" : $" (listed as: {rule.Rule})")}");
                }
                else
                {
                    seen.Add(variable);
                }
            }
        }

        unexplained.Should().BeEmpty("every difference from nginx's fastcgi_params is listed and justified in the README");
        Allowed.Select(d => d.Variable).Should().BeSubsetOf(seen, "each listed difference is one these requests show (the list says no more than is true)");
        var readme = File.ReadAllText(Path.Combine(Paths.RepoRoot, "README.md"));
        var table = readme[readme.IndexOf("CGI variables: Pm vs nginx", StringComparison.Ordinal)..];
        foreach (var difference in Allowed)
        {
            table.Should().Contain($"`{difference.Variable}`", "the README justifies each allowed difference");
        }
    }

    private static string Show(string? value) => value is null ? "(absent)" : $"'{value}'";

    private static async Task<Dictionary<string, string>> VariablesAsync(HttpClient client, HttpRequestMessage request, string log)
    {
        using (request)
        using (var response = await client.SendAsync(request))
        {
            var text = await response.Content.ReadAsStringAsync();
            response.IsSuccessStatusCode.Should().BeTrue("{0} {1} answered {2}: {3}\nlog:\n{4}", request.Method, request.RequestUri, response.StatusCode, text, log);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        }
    }

    /// <summary>A body without a length: HttpClient sends it with Transfer-Encoding: chunked.</summary>
    private sealed class ChunkedText : HttpContent
    {
        private readonly byte[] _body;

        public ChunkedText(string body, string contentType)
        {
            _body = Encoding.ASCII.GetBytes(body);
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
