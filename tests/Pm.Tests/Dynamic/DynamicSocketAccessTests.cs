using Pm.Config;
using Pm.Posix;
using Pm.Protocol.Queue;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Dynamic;

/// <summary>A dynamic app's socket under dynamic/ gets its root's -socket-* settings, FastCgiConfig's where the root gives none.</summary>
[Collection(RealProcesses.Name)]
public sealed class DynamicSocketAccessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static uint ModeOf(string path) => PosixFile.StatPathNoFollow(path)!.Value.Mode & 0xFFF;

    [Fact(Timeout = 60_000)]
    public async Task DynamicApp_OfARootWithFastCgiConfigsGroup_GetsThatGroupOnItsSocketAndTheDirectoriesAbove()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var app = Path.Combine(root, "hello.fcgi");
        File.Copy(NativeApps.HelloC, app);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiConfig -socket-group www-data
            PmDynamicRoot /fcgi-bin/ {root}
            """);

        var dynamic = IpcLayout.DynamicDirectory(dir.IpcDir);
        ModeOf(dynamic).Should().Be(0x1C8u, "0710: the way to the dynamic sockets, for www-data only");
        PosixFile.StatPathNoFollow(dynamic)!.Value.GroupId.Should().Be(33u);
        ModeOf(dir.IpcDir).Should().Be(0x1C8u, "the IPC dir is on the way to dynamic/");
        PosixFile.StatPathNoFollow(dir.IpcDir)!.Value.GroupId.Should().Be(33u);

        QueueWriter.Send(dir.IpcDir, QueueRecord.Start(app, Identity.EffectiveUserId, Identity.EffectiveGroupId, DateTimeOffset.UtcNow))
            .Should().Be(QueueWriteResult.Sent);
        await pm.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal), Wait);
        var socket = IpcLayout.DynamicSocket(dir.IpcDir, app);
        (await CgiFcgi.GetAsync(socket, "/fcgi-bin/hello.fcgi")).Should().Contain("Hello from a libfcgi app");
        ModeOf(socket).Should().Be(0x1B0u, "0660, the default once a group is given");
        PosixFile.StatPathNoFollow(socket)!.Value.GroupId.Should().Be(33u);
        (await pm.StopAsync(Wait)).Should().Be(0);
    }
}
