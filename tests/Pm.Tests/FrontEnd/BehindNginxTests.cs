using System.Net;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// nginx, its worker running as www-data as Debian runs it, in front of a static app over the app's Unix socket: it
/// gets in with -socket-group www-data -socket-mode 0660 (socket and the IPC dir Pm created opened to that group
/// alone), and is kept out by the private default, 0600 in a 0700 IPC dir.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class BehindNginxTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private const uint WwwData = 33;

    private static async Task<(PmProcess Pm, string Socket)> StartPmAsync(TestDirectory dir, string socketOptions)
    {
        // The test made its directory: it, not Pm, lets www-data through to the IPC dir inside it.
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -socket app.sock {socketOptions}
            """);
        await Eventually.ReadyInstancesAsync(pm, app, 1, Wait);
        return (pm, Path.Combine(dir.IpcDir, "app.sock"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Nginx_AsWwwData_ReachesAnAppWhoseSocketGroupIsWwwData()
    {
        using var dir = new TestDirectory();
        var (pm, socket) = await StartPmAsync(dir, "-socket-group www-data -socket-mode 0660");
        await using (pm)
        {
            var ipc = PosixFile.StatPathNoFollow(dir.IpcDir)!.Value;
            (ipc.Mode & 0xFFF).Should().Be(0x1C8u, "0710: www-data may search the IPC dir Pm created, not list it");
            ipc.GroupId.Should().Be(WwwData);
            var file = PosixFile.StatPathNoFollow(socket)!.Value;
            file.Kind.Should().Be(FileKind.Socket);
            (file.Mode & 0xFFF).Should().Be(0x1B0u, "0660");
            file.GroupId.Should().Be(WwwData);
            file.OwnerId.Should().Be(0u, "the owner stays the PM's user");
            pm.Output.Should().Contain($"IPC dir {dir.IpcDir} mode 0710, group www-data: the socket of {dir.File("fcgi-test")} lets group www-data connect");

            await using (var nginx = await NginxProcess.StartAsync(dir, socket))
            {
                using var response = await nginx.Client.GetAsync("/hello");
                var body = await response.Content.ReadAsStringAsync();
                response.StatusCode.Should().Be(HttpStatusCode.OK, "nginx's error log:\n{0}", nginx.ErrorLog);
                body.Should().StartWith("pid ");
            }

            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Nginx_AsWwwData_IsKeptOutByThePrivateDefault()
    {
        using var dir = new TestDirectory();
        var (pm, socket) = await StartPmAsync(dir, "");
        await using (pm)
        {
            var ipc = PosixFile.StatPathNoFollow(dir.IpcDir)!.Value;
            (ipc.Mode & 0xFFF).Should().Be(0x1C0u, "0700, mod_fastcgi's rule, when no socket grants more");
            (PosixFile.StatPathNoFollow(socket)!.Value.Mode & 0xFFF).Should().Be(0x180u, "0600");

            await using (var nginx = await NginxProcess.StartAsync(dir, socket))
            {
                using var response = await nginx.Client.GetAsync("/hello");
                response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
                await Eventually.Until(() => nginx.ErrorLog.Contains("(13: Permission denied)", StringComparison.Ordinal), Wait);
                nginx.ErrorLog.Should().Contain($"connect() to unix:{socket} failed (13: Permission denied)");
            }

            (await pm.StopAsync(Wait)).Should().Be(0);
        }
    }
}
