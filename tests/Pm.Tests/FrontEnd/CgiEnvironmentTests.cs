using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Pm.Config;
using Pm.FrontEnd.Cgi;

namespace Pm.Tests.FrontEnd;

/// <summary>CGI meta-variables from an HTTP request (RFC 3875 §4.1), without a server.</summary>
public sealed class CgiEnvironmentTests
{
    private static Dictionary<string, string> Build(Action<HttpRequest> setUp, params string[] passHeaders) =>
        Build(setUp, new ScriptTarget("/app", "/extra", "/srv/app", null), null, null, passHeaders);

    private static Dictionary<string, string> Build(Action<HttpRequest> setUp, ScriptTarget target, string? serverName, long? bufferedLength, params string[] passHeaders)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Protocol = "HTTP/1.1";
        context.Request.Scheme = "http";
        context.Request.Path = "/app/extra";
        context.Request.QueryString = new QueryString("?a=1&b=%20");
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("192.0.2.7");
        context.Connection.RemotePort = 40000;
        context.Connection.LocalIpAddress = System.Net.IPAddress.Loopback;
        context.Connection.LocalPort = 8080;
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = "/app/extra?a=1&b=%20";
        setUp(context.Request);
        var variables = new List<KeyValuePair<string, string>>();
        CgiEnvironment.Build(variables, context, target,
            new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30), false, passHeaders, false), serverName, bufferedLength);
        variables.Select(v => v.Key).Should().OnlyHaveUniqueItems();
        return variables.ToDictionary(v => v.Key, v => v.Value);
    }

    [Fact]
    public void Build_Request_GivesTheRfc3875Variables()
    {
        var env = Build(r =>
        {
            r.Headers.Host = "example.test:8080";
            r.ContentType = "text/plain";
            r.ContentLength = 5;
        });
        env["GATEWAY_INTERFACE"].Should().Be("CGI/1.1");
        env["REQUEST_METHOD"].Should().Be("POST");
        env["SCRIPT_NAME"].Should().Be("/app");
        env["PATH_INFO"].Should().Be("/extra");
        env["SCRIPT_FILENAME"].Should().Be("/srv/app");
        env["QUERY_STRING"].Should().Be("a=1&b=%20");
        env["REQUEST_URI"].Should().Be("/app/extra?a=1&b=%20");
        env["CONTENT_TYPE"].Should().Be("text/plain");
        env["CONTENT_LENGTH"].Should().Be("5");
        env["REMOTE_ADDR"].Should().Be("192.0.2.7");
        env["REMOTE_PORT"].Should().Be("40000");
        env["SERVER_ADDR"].Should().Be("127.0.0.1");
        env["SERVER_PORT"].Should().Be("8080");
        env["SERVER_NAME"].Should().Be("example.test");
        env["SERVER_PROTOCOL"].Should().Be("HTTP/1.1");
        env["REDIRECT_STATUS"].Should().Be("200");
        env["HTTP_HOST"].Should().Be("example.test:8080");
        env.Should().NotContainKey("HTTP_CONTENT_TYPE").And.NotContainKey("HTTP_CONTENT_LENGTH").And.NotContainKey("HTTPS");
    }

    [Fact]
    public void Build_CredentialsAndProxy_AreWithheldUnlessPassed()
    {
        void SetUp(HttpRequest r)
        {
            r.Headers.Authorization = "Basic x";
            r.Headers.ProxyAuthorization = "Basic y";
            r.Headers["Proxy"] = "http://evil.example/";
        }

        var withheld = Build(SetUp);
        withheld.Should().NotContainKey("HTTP_AUTHORIZATION").And.NotContainKey("HTTP_PROXY_AUTHORIZATION").And.NotContainKey("HTTP_PROXY");

        var passed = Build(SetUp, "authorization", "Proxy");
        passed["HTTP_AUTHORIZATION"].Should().Be("Basic x");
        passed.Should().NotContainKey("HTTP_PROXY", "httpoxy: never, whatever -pass-header says");
        passed.Should().NotContainKey("HTTP_PROXY_AUTHORIZATION");
    }

    [Fact]
    public void Build_Request_GivesNginxsFastCgiParamsToo()
    {
        var env = Build(r => r.Headers.Host = "example.test:8080", new ScriptTarget("/app", "/extra", "/srv/app", null), "pm.example", null);
        env["DOCUMENT_URI"].Should().Be("/app/extra");
        env["REQUEST_SCHEME"].Should().Be("http");
        env["SERVER_SOFTWARE"].Should().Be("Pm");
        env["SERVER_NAME"].Should().Be("pm.example", "PmServerName, as nginx's server_name");
        env.Should().NotContainKey("REMOTE_USER").And.NotContainKey("CONTENT_LENGTH").And.NotContainKey("CONTENT_TYPE");
    }

    [Fact]
    public void Build_DirectoryIndex_HasTheIndexAsDocumentUri()
    {
        var env = Build(r => r.Path = "/php/dir/", new ScriptTarget("/php/dir/index.php", "", "/srv/www/dir/index.php", "/srv/www"), null, null);
        env["DOCUMENT_URI"].Should().Be("/php/dir/index.php");
        env["SCRIPT_NAME"].Should().Be("/php/dir/index.php");
        env["REQUEST_URI"].Should().Be("/app/extra?a=1&b=%20", "the client's own target");
    }

    [Fact]
    public void Build_Tls_SaysHttpsOn()
    {
        var env = Build(r => r.Scheme = "https");
        env["HTTPS"].Should().Be("on");
        env["REQUEST_SCHEME"].Should().Be("https");
    }

    [Fact]
    public void Build_BasicCredentials_GiveRemoteUserOnlyToAnAppThatGetsThem()
    {
        var header = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("jürgen:se:cret"));
        Build(r => r.Headers.Authorization = header).Should().NotContainKey("REMOTE_USER");
        var passed = Build(r => r.Headers.Authorization = header, "Authorization");
        passed["REMOTE_USER"].Should().Be("jürgen");
        passed["HTTP_AUTHORIZATION"].Should().Be(header);
        Build(r => r.Headers.Authorization = "Bearer abc", "Authorization").Should().NotContainKey("REMOTE_USER");
        Build(r => r.Headers.Authorization = "Basic !!!", "Authorization").Should().NotContainKey("REMOTE_USER");
        Build(r => r.Headers.Authorization = "Basic " + Convert.ToBase64String("nocolon"u8.ToArray()), "Authorization").Should().NotContainKey("REMOTE_USER");
    }

    [Fact]
    public void Build_BufferedChunkedBody_HasItsLengthAndNoTransferEncoding()
    {
        void SetUp(HttpRequest r)
        {
            r.Headers.TransferEncoding = "chunked";
            r.ContentType = "application/x-www-form-urlencoded";
        }

        var env = Build(SetUp, new ScriptTarget("/app", "/extra", "/srv/app", null), null, 12345);
        env["CONTENT_LENGTH"].Should().Be("12345");
        env["CONTENT_TYPE"].Should().Be("application/x-www-form-urlencoded");
        env.Should().NotContainKey("HTTP_TRANSFER_ENCODING");
        Build(SetUp)["HTTP_TRANSFER_ENCODING"].Should().Be("chunked", "a streamed body keeps its header");
    }

    [Fact]
    public void Build_RepeatedHeaders_AreJoined()
    {
        var env = Build(r =>
        {
            r.Headers["X-Forwarded-For"] = new Microsoft.Extensions.Primitives.StringValues(["1.1.1.1", "2.2.2.2"]);
            r.Headers.Cookie = new Microsoft.Extensions.Primitives.StringValues(["a=1", "b=2"]);
        });
        env["HTTP_X_FORWARDED_FOR"].Should().Be("1.1.1.1, 2.2.2.2");
        env["HTTP_COOKIE"].Should().Be("a=1; b=2");
    }

    [Theory]
    [InlineData("X-Forwarded-For", "HTTP_X_FORWARDED_FOR")]
    [InlineData("user-agent", "HTTP_USER_AGENT")]
    [InlineData("X_Forwarded_For", null)]
    [InlineData("X.Dotted", null)]
    [InlineData("", null)]
    public void VariableFor_HeaderName_IsHttpUpperCaseWithUnderscores(string header, string? variable)
    {
        CgiHeaderNames.VariableFor(header).Should().Be(variable);
    }
}
