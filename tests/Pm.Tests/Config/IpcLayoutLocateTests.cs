using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>Which directory stands for a configured IPC dir: itself when Pm creates or created it, else Pm's subdirectory.</summary>
public sealed class IpcLayoutLocateTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Locate_NothingThere_IsTheDirectoryItself_ToBeCreated()
    {
        var location = IpcLayout.Locate(_dir.IpcDir, 0);
        location.Path.Should().Be(_dir.IpcDir);
        location.How.Should().Be(IpcDirLocation.Origin.ToBeCreated);
    }

    [Fact]
    public void Locate_ADirectoryWithTheMarker_IsTheDirectoryItself()
    {
        Directory.CreateDirectory(_dir.IpcDir);
        File.WriteAllText(IpcLayout.CreatedMarker(_dir.IpcDir), "");
        var location = IpcLayout.Locate(_dir.IpcDir, 0);
        location.Path.Should().Be(_dir.IpcDir);
        location.How.Should().Be(IpcDirLocation.Origin.CreatedByPm);
    }

    [Fact]
    public void Locate_AnExistingDirectoryWithoutTheMarker_IsPmsSubdirectoryForThatUser()
    {
        Directory.CreateDirectory(_dir.IpcDir);
        var location = IpcLayout.Locate(_dir.IpcDir, 1234);
        location.Path.Should().Be(Path.Combine(_dir.IpcDir, "pm-1234"));
        location.IsSubdirectory.Should().BeTrue();
        location.Reason.Should().Contain("the PM did not create");
    }

    [Fact]
    public void Locate_AMarkerOfAnotherUser_DoesNotMakeASharedDirectoryPms()
    {
        Pm.Posix.Identity.IsRoot.Should().BeTrue("the test gives the marker to another user, which needs root");
        Directory.CreateDirectory(_dir.IpcDir);
        var marker = IpcLayout.CreatedMarker(_dir.IpcDir);
        File.WriteAllText(marker, "");
        Pm.Posix.PosixFile.ChangeOwnerNoFollow(marker, 33, 33);
        IpcLayout.Locate(_dir.IpcDir, 0).IsSubdirectory.Should().BeTrue();
    }

    [Fact]
    public void Config_SharedExistingIpcDir_PutsTheSocketsInPmsSubdirectory()
    {
        var shared = Directory.CreateDirectory(_dir.File("shared")).FullName;
        var app = _dir.Write("app.fcgi", "#!/bin/sh\n");
        File.SetUnixFileMode(app, (UnixFileMode)0x1ED);
        var config = ConfigParser.ParseText(_dir.File("pm.conf"), $"FastCgiIpcDir {shared}\nFastCgiServer {app} -socket app.sock\n");
        var own = Path.Combine(shared, "pm-" + Pm.Posix.Identity.EffectiveUserId);
        config.IpcDir.Should().Be(own);
        config.Ipc.Configured.Should().Be(shared);
        config.StaticApps.Single().Address.SocketPath.Should().Be(Path.Combine(own, "app.sock"));
    }
}
