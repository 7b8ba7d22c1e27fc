using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>-extensions, -index, -static on apps with -document-root; PmServerName, PmRequestBodyBuffer, PmRequestBodyMax.</summary>
public sealed class HttpSettingsParsingTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly string _app;

    public HttpSettingsParsingTests()
    {
        _app = _dir.Write("php-cgi", "#!/bin/sh\n");
        File.SetUnixFileMode(_app, (UnixFileMode)0x1ED);
        Directory.CreateDirectory(_dir.File("www"));
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text.Replace("{app}", _app).Replace("{www}", _dir.File("www")));

    [Fact]
    public void Parse_DocumentRootWithoutOptions_IsSafeByDefault()
    {
        var app = Parse("FastCgiServer {app} -url /php -document-root {www}").StaticApps.Single();
        app.DocumentRootRules.Should().Be(DocumentRootRules.Default);
        app.DocumentRootRules!.Extensions.Should().Equal(".php");
        app.DocumentRootRules.IndexFiles.Should().Equal("index.php");
        app.DocumentRootRules.StaticFiles.Should().BeTrue();
        Parse("FastCgiServer {app} -url /php").StaticApps.Single().DocumentRootRules.Should().BeNull();
    }

    [Fact]
    public void Parse_DocumentRootOptions_AreReadOnStaticAndExternalApps()
    {
        var config = Parse("""
            FastCgiServer {app} -url /php -document-root {www} -extensions .php,.phtml -index index.php,index.html -static off
            FastCgiExternalServer /ext -socket ext.sock -url /ext -document-root {www} -extensions .php5
            """);
        var rules = config.StaticApps.Single().DocumentRootRules!;
        rules.Extensions.Should().Equal(".php", ".phtml");
        rules.IndexFiles.Should().Equal("index.php", "index.html");
        rules.StaticFiles.Should().BeFalse();
        config.ExternalApps.Single().DocumentRootRules!.Extensions.Should().Equal(".php5");
    }

    [Fact]
    public void DocumentRootRules_EqualLists_AreEqual_SoAReloadSeesNoChange()
    {
        var a = new DocumentRootRules([".php"], ["index.php"], true);
        var b = new DocumentRootRules([".php"], ["index.php"], true);
        a.Should().Be(b);
        (a == b with { StaticFiles = false }).Should().BeFalse();
        (a == b with { Extensions = [".phtml"] }).Should().BeFalse();
    }

    [Theory]
    [InlineData("FastCgiServer {app} -url /php -extensions .php", "FastCgiServer", "need -document-root")]
    [InlineData("FastCgiServer {app} -url /php -document-root {www} -extensions php", "FastCgiServer", "-extensions 'php' must be a dot and a name")]
    [InlineData("FastCgiServer {app} -url /php -document-root {www} -index ../x.php", "FastCgiServer", "-index '../x.php' must be a file name")]
    [InlineData("FastCgiServer {app} -url /php -document-root {www} -static maybe", "FastCgiServer", "-static 'maybe' must be on or off")]
    [InlineData("FastCgiServer {app} -url /php -document-root {www} -extensions ,", "FastCgiServer", "-extensions ',' names nothing")]
    [InlineData("PmDynamicRoot /d {www} -index index.php", "PmDynamicRoot", "unknown parameter 'index'")]
    [InlineData("PmServerName \"a b\"", "PmServerName", "'a b' is not a host name")]
    [InlineData("PmServerName a\nPmServerName b", "PmServerName", "given more than once")]
    [InlineData("PmRequestBodyBuffer lots", "PmRequestBodyBuffer", "'lots' is not a size")]
    [InlineData("PmRequestBodyBuffer 100M", "PmRequestBodyBuffer", "is more than 64M")]
    [InlineData("PmRequestBodyBuffer 2M\nPmRequestBodyMax 1M", "PmRequestBodyMax", "is smaller than PmRequestBodyBuffer")]
    public void Parse_EachMistake_IsReportedWithFileLineAndDirective(string text, string directive, string message)
    {
        var act = () => Parse(text);
        var error = act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Subject;
        error.ToString().Should().StartWith($"{_dir.File("pm.conf")}:{text.Split('\n').Length}: {directive}: ");
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Parse_HttpDirectives_ConfigureTheFrontEnd()
    {
        var frontEnd = Parse("""
            PmServerName www.example.org
            PmRequestBodyBuffer 256k
            PmRequestBodyMax 8M
            """).FrontEnd;
        frontEnd.ServerName.Should().Be("www.example.org");
        frontEnd.BodyBuffer.Should().Be(256 * 1024);
        frontEnd.BodyMax.Should().Be(8 * 1024 * 1024);

        var defaults = Parse("").FrontEnd;
        defaults.ServerName.Should().BeNull();
        defaults.BodyBuffer.Should().Be(1 << 20);
        defaults.BodyMax.Should().Be(1 << 30);
        Parse("PmRequestBodyMax 0").FrontEnd.BodyMax.Should().Be(0, "0 = no limit");
    }
}
