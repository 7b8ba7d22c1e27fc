using System.Diagnostics;
using Pm.Config;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>
/// FastCgiIpcDir naming an existing directory Pm did not create (a shared, sticky 1777 one, as /tmp): Pm leaves its
/// mode and owner alone and works in its own pm-UID subdirectory, which the CLI finds by the same rule.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class SharedIpcDirTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static (string Shared, string Own, FileStatus Before) Shared(TestDirectory dir)
    {
        var shared = Directory.CreateDirectory(dir.File("shared")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0x3FF); // 1777, as /tmp
        return (shared, Path.Combine(shared, "pm-" + Identity.EffectiveUserId), PosixFile.StatPathNoFollow(shared)!.Value);
    }

    private static async Task<(int Code, string Output)> Pm(params string[] args)
    {
        var info = new ProcessStartInfo(Paths.Pm, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Wait);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await output + await error);
    }

    [Fact(Timeout = 90_000)]
    public async Task SharedDirectory_KeepsItsModeAndOwner_WhileThePmUsesItsOwnSubdirectory_AndStatusFindsIt()
    {
        using var dir = new TestDirectory();
        var (shared, own, before) = Shared(dir);
        var hello = dir.Link("hello", NativeApps.HelloC);
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {shared}
            FastCgiServer {hello} -socket hello -socket-group www-data
            """);

        await using var pm = PmProcess.Start(dir.Path, config, "run", own);
        await pm.WaitForLineAsync(l => l.Contains(" running ", StringComparison.Ordinal), Wait);

        var after = PosixFile.StatPathNoFollow(shared)!.Value;
        (after.Mode & 0xFFF).Should().Be(0x3FFu, "Pm never changes the mode of a directory it did not create");
        after.OwnerId.Should().Be(before.OwnerId);
        after.GroupId.Should().Be(before.GroupId, "nor its group, though a socket's group is www-data");
        pm.Output.Should().Contain($"IPC dir {own} (created now): {shared} is an existing directory the PM did not create");

        var ownStatus = PosixFile.StatPathNoFollow(own)!.Value;
        (ownStatus.Mode & 0xFFF).Should().Be(0x1C8u, "its own subdirectory is opened to the socket's group, search only");
        ownStatus.GroupId.Should().Be(33u);
        File.Exists(IpcLayout.CreatedMarker(own)).Should().BeTrue();
        PosixFile.StatPathNoFollow(Path.Combine(own, "hello"))!.Value.Kind.Should().Be(FileKind.Socket);
        File.Exists(Path.Combine(shared, "hello")).Should().BeFalse();

        var byDir = await Pm("status", "--ipc-dir", shared);
        byDir.Code.Should().Be(0, byDir.Output);
        byDir.Output.Should().Contain($"pm pid {pm.Pid},").And.Contain($"ipc dir {own}");
        var byConfig = await Pm("status", "-c", config);
        byConfig.Code.Should().Be(0, byConfig.Output);
        byConfig.Output.Should().Contain($"pm pid {pm.Pid},");

        (await pm.StopAsync(Wait)).Should().Be(0);
        (PosixFile.StatPathNoFollow(shared)!.Value.Mode & 0xFFF).Should().Be(0x3FFu);
    }

    [Fact(Timeout = 60_000)]
    public async Task SubdirectoryThePmDidNotCreate_IsRefusedWithTheReason_AndNothingIsChanged()
    {
        using var dir = new TestDirectory();
        var (shared, own, _) = Shared(dir);
        Directory.CreateDirectory(own);
        File.SetUnixFileMode(own, (UnixFileMode)0x1ED); // 0755, somebody else's idea
        var hello = dir.Link("hello", NativeApps.HelloC);
        var config = dir.Write("pm.conf", $"""
            FastCgiIpcDir {shared}
            FastCgiServer {hello} -socket hello
            """);

        await using var pm = PmProcess.Start(dir.Path, config, "run", own);
        await pm.WaitForExitAsync(Wait);
        pm.ExitCode.Should().Be(1);
        pm.Output.Should().Contain($"IPC dir {own} exists but the PM did not create it (no .pm-created in it)");
        (PosixFile.StatPathNoFollow(own)!.Value.Mode & 0xFFF).Should().Be(0x1EDu);
        (PosixFile.StatPathNoFollow(shared)!.Value.Mode & 0xFFF).Should().Be(0x3FFu);
    }
}
