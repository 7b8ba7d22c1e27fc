using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>
/// A reload cannot change a socket's access (set when it is bound, and a kept app keeps its socket) nor the IPC dir's
/// (set when the PM prepares it): such a reload is refused, saying so, rather than half applied.
/// </summary>
public sealed class SocketAccessReloadTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly string _app;

    public SocketAccessReloadTests()
    {
        _app = _dir.Write("app.fcgi", "#!/bin/sh\n");
        File.SetUnixFileMode(_app, (UnixFileMode)0x1ED);
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string options) =>
        ConfigParser.ParseText(_dir.File("pm.conf"), $"FastCgiIpcDir {_dir.IpcDir}\nFastCgiServer {_app} -socket app.sock {options}\n");

    [Fact]
    public void Between_SameSocketAccess_NeedsNoRestart()
    {
        ConfigChanges.Between(Parse("-socket-group www-data"), Parse("-socket-group www-data")).NeedsRestart.Should().BeEmpty();
    }

    [Fact]
    public void Between_AGroupGranted_NeedsARestart_ForTheSocketAndTheIpcDir()
    {
        var restart = ConfigChanges.Between(Parse(""), Parse("-socket-group www-data")).NeedsRestart;
        restart.Should().Contain(r => r.StartsWith($"the socket access of {_app}", StringComparison.Ordinal));
        restart.Should().Contain(r => r.StartsWith("the IPC dir's access (0710, group www-data", StringComparison.Ordinal));
    }

    [Fact]
    public void Between_OnlyTheModeWithinTheGroup_NeedsARestartForTheSocketAlone()
    {
        var restart = ConfigChanges.Between(Parse("-socket-group www-data -socket-mode 0660"), Parse("-socket-group www-data -socket-mode 0670")).NeedsRestart;
        restart.Should().ContainSingle().Which.Should().StartWith($"the socket access of {_app}");
    }
}
