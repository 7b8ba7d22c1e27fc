using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>-socket-user, -socket-group and -socket-mode: read from names or ids, checked, and kept per app and per dynamic root.</summary>
public sealed class SocketAccessTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly string _app;

    public SocketAccessTests()
    {
        _app = _dir.Write("app.fcgi", "#!/bin/sh\n");
        File.SetUnixFileMode(_app, (UnixFileMode)0x1ED);
        Directory.CreateDirectory(_dir.File("www"));
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), $"FastCgiIpcDir {_dir.IpcDir}\n{text}");

    private IReadOnlyList<ConfigError> Errors(string text)
    {
        var act = () => Parse(text);
        return act.Should().Throw<ConfigException>().Which.Errors;
    }

    private static (SocketAccess? Access, List<string> Errors) Read(string? user, string? group, string? mode, uint pmUser = 0, uint[]? pmGroups = null)
    {
        var errors = new List<string>();
        var access = SocketAccess.Parse(user, group, mode, pmUser, pmGroups ?? [0], errors.Add);
        return (access, errors);
    }

    [Fact]
    public void Parse_NothingGiven_IsThePmsUserAlone()
    {
        var (access, errors) = Read(null, null, null);
        errors.Should().BeEmpty();
        access.Should().Be(SocketAccess.Private);
        access!.Mode.Should().Be(0x180u, "0600");
    }

    [Fact]
    public void Parse_GroupByName_ResolvesItAndDefaultsTheModeTo0660()
    {
        var (access, errors) = Read(null, "www-data", null);
        errors.Should().BeEmpty();
        access!.GroupId.Should().Be(33u);
        access.GroupName.Should().Be("www-data");
        access.Mode.Should().Be(0x1B0u, "0660, as php-fpm's listen.mode");
        access.GroupMayConnect.Should().BeTrue();
        access.OthersMayConnect.Should().BeFalse();
    }

    [Fact]
    public void Parse_NumericIdsAndOctalMode_AreTakenAsGiven()
    {
        var (access, errors) = Read("33", "33", "0666");
        errors.Should().BeEmpty();
        access!.UserId.Should().Be(33u);
        access.UserName.Should().Be("www-data", "a known uid is named");
        access.GroupId.Should().Be(33u);
        access.Mode.Should().Be(0x1B6u);
        access.OthersMayConnect.Should().BeTrue();
    }

    [Theory]
    [InlineData("4660")]
    [InlineData("1777")]
    [InlineData("01000")]
    [InlineData("0689")]
    [InlineData("rw-rw----")]
    [InlineData("")]
    public void Parse_ModeNotWithin0777_IsRefused(string mode)
    {
        var (access, errors) = Read(null, null, mode);
        access.Should().BeNull();
        errors.Should().ContainSingle().Which.Should().Contain($"-socket-mode '{mode}' must be octal permission bits, at most 0777");
    }

    [Theory]
    [InlineData("0060")]
    [InlineData("0460")]
    [InlineData("0266")]
    public void Parse_ModeWithoutTheOwnersReadAndWrite_IsRefusedWhenTheOwnerIsThePmsUser(string mode)
    {
        var (access, errors) = Read(null, "www-data", mode);
        access.Should().BeNull();
        errors.Should().ContainSingle().Which.Should().Contain("would lock the PM's own user (uid 0) out of the socket");
    }

    [Fact]
    public void Parse_UnknownUserOrGroup_IsAnErrorNamingIt()
    {
        Read("no-such-user-pm", null, null).Errors.Should().ContainSingle().Which.Should().Be("-socket-user 'no-such-user-pm': unknown user");
        Read(null, "no-such-group-pm", null).Errors.Should().ContainSingle().Which.Should().Be("-socket-group 'no-such-group-pm': unknown group");
    }

    [Fact]
    public void Parse_AnotherUserOrAForeignGroup_NeedsAPmRunningAsRoot()
    {
        Read("www-data", null, null, pmUser: 1000, pmGroups: [1000]).Errors.Should().ContainSingle()
            .Which.Should().Contain("-socket-user 'www-data' (uid 33) needs the PM to run as root");
        Read(null, "www-data", null, pmUser: 1000, pmGroups: [1000]).Errors.Should().ContainSingle()
            .Which.Should().Contain("-socket-group 'www-data' (gid 33) is not one of the PM's groups");
        Read(null, "www-data", null, pmUser: 1000, pmGroups: [1000, 33]).Errors.Should().BeEmpty("a supplementary group of the PM's may be given");
    }

    [Fact]
    public void Config_StaticApp_KeepsItsSocketAccess()
    {
        var config = Parse($"FastCgiServer {_app} -socket app.sock -socket-group www-data -socket-mode 0660\n");
        var app = config.StaticApps.Single();
        app.Access.GroupId.Should().Be(33u);
        app.Access.Mode.Should().Be(0x1B0u);
        app.Address.SocketPath.Should().Be(Path.Combine(_dir.IpcDir, "app.sock"));
    }

    [Fact]
    public void Config_BadSocketOptions_AreErrorsWithFileLineAndDirective()
    {
        var errors = Errors($"""
            FastCgiServer {_app} -socket-group no-such-group-pm
            FastCgiServer {_app}2 -socket-mode 4660
            FastCgiServer {_app}3 -port 9000 -socket-mode 0660
            FastCgiExternalServer /srv/x -host 127.0.0.1:9000 -socket-group www-data
            FastCgiConfig -socket-user no-such-user-pm
            """);
        var file = _dir.File("pm.conf");
        errors.Select(e => e.ToString()).Should().Contain(
        [
            $"{file}:2: FastCgiServer: {_app}: -socket-group 'no-such-group-pm': unknown group",
            $"{file}:6: FastCgiConfig: -socket-user 'no-such-user-pm': unknown user",
        ]);
        errors.Should().Contain(e => e.Line == 3 && e.Directive == "FastCgiServer" && e.Message.Contains("-socket-mode '4660' must be octal permission bits", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Line == 4 && e.Message.Contains("apply to a Unix socket, not to -port", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Line == 5 && e.Directive == "FastCgiExternalServer" && e.Message.Contains("-socket-group is not valid here", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_DynamicRoot_TakesFastCgiConfigsSettingsOptionByOption()
    {
        var www = _dir.File("www");
        var config = Parse($"""
            FastCgiConfig -socket-group www-data
            PmDynamicRoot /a {www}
            PmDynamicRoot /b {www} -socket-mode 0600
            PmDynamicRoot /c {www} -socket-mode 0666
            """);
        config.Dynamic.Access.GroupId.Should().Be(33u);
        config.Dynamic.Access.Mode.Should().Be(0x1B0u);
        var roots = config.DynamicRoots.ToDictionary(r => r.UrlPrefix);
        roots["/a"].Access.Should().Be(config.Dynamic.Access);
        roots["/b"].Access!.GroupId.Should().Be(33u, "the group is FastCgiConfig's");
        roots["/b"].Access!.Mode.Should().Be(0x180u, "the mode is the root's own");
        roots["/c"].Access!.OthersMayConnect.Should().BeTrue();
    }

    [Fact]
    public void Config_DynamicRootLockingThePmOut_IsAnErrorOnItsLine()
    {
        var errors = Errors($"PmDynamicRoot /a {_dir.File("www")} -socket-mode 0060\n");
        errors.Should().ContainSingle().Which.Should().Match<ConfigError>(e => e.Line == 2 && e.Directive == "PmDynamicRoot"
            && e.Message.Contains("PmDynamicRoot /a: -socket-mode 0060 would lock the PM's own user", StringComparison.Ordinal));
    }
}
