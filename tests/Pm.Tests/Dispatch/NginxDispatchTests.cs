using System.Net;
using Pm.Posix;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch;

/// <summary>
/// Real nginx in front of dynamic apps through the dispatcher (issue 10): Debian's stock fastcgi_params, kept
/// FastCGI connections (fastcgi_keep_conn on), nginx's worker as www-data reaching the dispatcher's socket through
/// -socket-group www-data, and an app that does not run until the first request.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class NginxDispatchTests
{
    /// <summary>nginx as Debian runs it (worker as www-data), kept connections to the dispatcher's socket.</summary>
    private static Task<NginxProcess> StartNginxAsync(TestDirectory dir, DispatchServer pm) =>
        NginxProcess.StartWithServerAsync(dir, server: $$"""
                    root {{dir.Path}};
                    location / {
                        include /etc/nginx/fastcgi_params;
                        fastcgi_pass pm_dispatch;
                        fastcgi_keep_conn on;
                    }
            """, http: $$"""
                client_max_body_size 64m;
                upstream pm_dispatch {
                    server unix:{{pm.Socket}};
                    keepalive 8;
                }
            """);

    [Fact(Timeout = 90_000)]
    public async Task Nginx_ReachesADynamicApp_ColdThenWarm_WithPostsIntact_AndNothingOutsideTheRoots()
    {
        using var dir = new TestDirectory();
        // The test made its directory: it lets www-data through to the dispatcher's socket, which the PM opens to
        // group www-data alone (0660).
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED); // 0755
        await using var pm = await DispatchServer.StartAsync(dir, socketOptions: "-socket-group www-data");
        (PosixFile.StatPathNoFollow(pm.Socket)!.Value.GroupId).Should().Be(33u, "group www-data");
        await using var nginx = await StartNginxAsync(dir, pm);
        File.Exists(IpcLayoutSocket(pm)).Should().BeFalse("the dynamic app does not run before its first request");

        using var cold = await nginx.Client.GetAsync("/fcgi-bin/test.fcgi");
        (await cold.Content.ReadAsStringAsync()).Should().StartWith("pid ", "the first request started the app; nginx said: {0}", nginx.ErrorLog);
        cold.StatusCode.Should().Be(HttpStatusCode.OK);
        pm.Pm.Output.Should().Contain($"dynamic app {pm.App}: created");

        for (var i = 0; i < 5; i++)
        {
            using var warm = await nginx.Client.GetAsync("/fcgi-bin/test.fcgi?mode=count");
            warm.StatusCode.Should().Be(HttpStatusCode.OK);
            (await warm.Content.ReadAsStringAsync()).Should().StartWith("pid=");
        }

        var body = Checksums.Pattern(1_000_000);
        using var post = await nginx.Client.PostAsync("/fcgi-bin/test.fcgi?mode=echo", new ByteArrayContent(body));
        post.StatusCode.Should().Be(HttpStatusCode.OK);
        (await post.Content.ReadAsStringAsync()).Should().Be($"length=1000000 fnv={Checksums.Fnv1a64(body)}\n");

        dir.Write("page.fcgi", "#!/bin/sh\n");
        using var outside = await nginx.Client.GetAsync("/page.fcgi");
        outside.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await outside.Content.ReadAsStringAsync()).Should().Contain("no such application");
        await pm.Pm.WaitForLineAsync(l => l.Contains("dispatcher: 404 for FastCGI GET /page.fcgi", StringComparison.Ordinal), FrontEndServer.Wait);
    }

    private static string IpcLayoutSocket(DispatchServer pm) => Pm.Config.IpcLayout.DynamicSocket(pm.Pm.IpcDir, pm.App);
}
