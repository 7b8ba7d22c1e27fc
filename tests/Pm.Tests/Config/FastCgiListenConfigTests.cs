using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>PmFastCgiListen: where the web processes accept FastCGI for the dispatcher.</summary>
public sealed class FastCgiListenConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text);

    [Fact]
    public void Parse_NoPmFastCgiListen_MeansNoDispatcher()
    {
        Parse("PmListen 8081").FrontEnd.FastCgiListen.Should().BeNull();
    }

    [Fact]
    public void Parse_UnixPath_IsASocketPathRelativeToTheConfig()
    {
        Parse("PmFastCgiListen unix:dispatch.sock").FrontEnd.FastCgiListen.Should().Be(AppAddress.Unix(_dir.File("dispatch.sock")));
        Parse($"PmFastCgiListen unix:{_dir.Path}/d.sock").FrontEnd.FastCgiListen.Should().Be(AppAddress.Unix(_dir.File("d.sock")));
    }

    [Theory]
    [InlineData("9000", "127.0.0.1", 9000)]
    [InlineData("0.0.0.0:9001", "0.0.0.0", 9001)]
    [InlineData("[::1]:9002", "::1", 9002)]
    public void Parse_Port_IsTcpOnLoopbackUnlessAnAddressIsGiven(string text, string host, int port)
    {
        Parse($"PmFastCgiListen {text}").FrontEnd.FastCgiListen.Should().Be(AppAddress.Tcp(host, port));
    }

    [Theory]
    [InlineData("PmFastCgiListen", 1, "takes unix:PATH or [ADDRESS:]PORT")]
    [InlineData("PmFastCgiListen 9000 -socket-mode 0660", 1, "apply to a Unix socket")]
    [InlineData("PmFastCgiListen unix:/tmp/d.sock -socket-owner x", 1, "unknown option '-socket-owner'")]
    [InlineData("PmFastCgiListen unix:/tmp/d.sock -socket-group no-such-group-here", 1, "unknown group")]
    [InlineData("PmFastCgiListen unix:", 1, "'unix:' must be followed by the socket's path")]
    [InlineData("PmFastCgiListen 70000", 1, "port '70000' must be between 1 and 65535")]
    [InlineData("PmFastCgiListen 9000\nPmFastCgiListen 9001", 2, "given more than once")]
    [InlineData("PmFastCgiListen unix:/no/such/dir/d.sock", 1, "the directory of socket path '/no/such/dir/d.sock' does not exist")]
    public void Parse_Mistake_IsReportedWithFileLineAndDirective(string text, int line, string message)
    {
        var act = () => Parse(text);
        var error = act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Subject;
        error.ToString().Should().StartWith($"{_dir.File("pm.conf")}:{line}: PmFastCgiListen: ");
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Parse_SocketPathTooLong_IsRefused()
    {
        var act = () => Parse($"PmFastCgiListen unix:{_dir.Path}/{new string('s', 120)}.sock");
        act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Which.Message.Should().Contain("too long for a Unix socket");
    }

    [Fact]
    public void Changes_ADifferentPmFastCgiListen_NeedsARestart()
    {
        var running = Parse("PmFastCgiListen 9000");
        var next = Parse("PmFastCgiListen 9001");
        ConfigChanges.Between(running, next).NeedsRestart.Should().ContainSingle().Which.Should().Contain("PmFastCgiListen 127.0.0.1:9000 -> 127.0.0.1:9001");
    }
}
