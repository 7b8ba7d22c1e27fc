using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>PmStatusListen (a listener for the status page and metrics alone) and PmStatusPage (the page on the public listener).</summary>
public sealed class StatusConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text);

    [Fact]
    public void Parse_NeitherDirective_ServesNoStatusAnywhere()
    {
        var front = Parse("PmListen 8080").FrontEnd;
        front.StatusListen.Should().BeNull();
        front.StatusPage.Should().BeNull();
    }

    [Theory]
    [InlineData("9100", "127.0.0.1", 9100)]
    [InlineData("0.0.0.0:9101", "0.0.0.0", 9101)]
    [InlineData("[::1]:9102", "::1", 9102)]
    public void Parse_StatusListenPort_IsLoopbackUnlessAnAddressIsGiven(string text, string host, int port)
    {
        Parse($"PmStatusListen {text}").FrontEnd.StatusListen.Should().Be(AppAddress.Tcp(host, port));
    }

    [Fact]
    public void Parse_StatusListenUnix_IsRelativeToTheConfig_AndGetsItsAccess()
    {
        var front = Parse("PmStatusListen unix:status.sock -socket-mode 0600").FrontEnd;
        front.StatusListen.Should().Be(AppAddress.Unix(_dir.File("status.sock")));
        front.StatusAccess!.Mode.Should().Be(SocketAccess.PrivateMode);
        Parse("PmStatusListen unix:s.sock").FrontEnd.StatusAccess!.Mode.Should().Be(SocketAccess.SharedMode, "0660 without options, as PmFastCgiListen's");
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/pm-status", "/pm-status")]
    [InlineData("/pm/status/", "/pm/status")]
    public void Parse_StatusPage_IsTheExactPath(string text, string path)
    {
        Parse($"PmStatusPage {text}").FrontEnd.StatusPage.Should().Be(path);
    }

    [Theory]
    [InlineData("PmStatusListen", 1, "PmStatusListen", "takes unix:PATH or [ADDRESS:]PORT")]
    [InlineData("PmStatusListen 9100 -socket-mode 0660", 1, "PmStatusListen", "apply to a Unix socket")]
    [InlineData("PmStatusListen unix:/tmp/s.sock -mode 0600", 1, "PmStatusListen", "unknown option '-mode'")]
    [InlineData("PmStatusListen 70000", 1, "PmStatusListen", "port '70000' must be between 1 and 65535")]
    [InlineData("PmListen 8080\nPmStatusListen 9100\nPmStatusListen 9101", 3, "PmStatusListen", "given more than once")]
    [InlineData("PmStatusListen unix:/no/such/dir/s.sock", 1, "PmStatusListen", "the directory of socket path '/no/such/dir/s.sock' does not exist")]
    [InlineData("PmStatusPage", 1, "PmStatusPage", "takes exactly one argument")]
    [InlineData("PmStatusPage status", 1, "PmStatusPage", "'status' is not a URL path")]
    [InlineData("PmStatusPage /s?x", 1, "PmStatusPage", "is not a URL path")]
    [InlineData("PmStatusPage /a\nPmStatusPage /b", 2, "PmStatusPage", "given more than once")]
    public void Parse_Mistake_IsReportedWithFileLineAndDirective(string text, int line, string directive, string message)
    {
        var act = () => Parse(text);
        var error = act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Subject;
        error.ToString().Should().StartWith($"{_dir.File("pm.conf")}:{line}: {directive}: ");
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Changes_ADifferentPmStatusListen_IsRefusedAsNeedingARestart()
    {
        var running = Parse("PmStatusListen 9100");
        var next = Parse("PmStatusListen 9101");
        ConfigChanges.Between(running, next).NeedsRestart.Should().ContainSingle().Which.Should().Contain("PmStatusListen 127.0.0.1:9100 -> 127.0.0.1:9101");
        ConfigChanges.Between(running, Parse("PmStatusListen 9100")).NeedsRestart.Should().BeEmpty();
    }

    [Fact]
    public void Changes_ADifferentPmStatusPage_RollsTheWebProcesses()
    {
        var changes = ConfigChanges.Between(Parse("PmListen 8080"), Parse("PmListen 8080\nPmStatusPage /s"));
        changes.NeedsRestart.Should().BeEmpty();
        changes.WebChanged.Should().BeTrue("the web processes read the path; new ones serve it");
    }
}
