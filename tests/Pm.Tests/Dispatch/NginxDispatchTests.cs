using System.Net;
using Pm.Posix;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch;

/// <summary>
/// Real nginx in front of dynamic apps through the dispatcher (issue 10): Debian's stock fastcgi_params, kept
/// FastCGI connections (fastcgi_keep_conn on), and an app that does not run until the first request.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class NginxDispatchTests
{
    private static async Task<PeerServer> StartNginxAsync(TestDirectory dir, DispatchServer pm)
    {
        var port = FrontEndServer.FreePort();
        var root = Directory.CreateDirectory(dir.File("nginx")).FullName;
        var config = Path.Combine(root, "nginx.conf");

        // Run as root (as the tests are), nginx's worker would switch to nobody; "user root" keeps it able to reach
        // the dispatcher's socket (0660, the PM's user and group). One process (master_process off), so its command
        // line, with the config's path, is the only one to look for afterwards.
        File.WriteAllText(config, $$"""
            {{(Identity.IsRoot ? "user root;" : "")}}
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{root}}/client_body;
                fastcgi_temp_path {{root}}/fastcgi_temp;
                proxy_temp_path {{root}}/proxy_temp;
                uwsgi_temp_path {{root}}/uwsgi_temp;
                scgi_temp_path {{root}}/scgi_temp;
                client_max_body_size 64m;
                upstream pm_dispatch {
                    server unix:{{pm.Socket}};
                    keepalive 8;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    root {{dir.Path}};
                    location / {
                        include /etc/nginx/fastcgi_params;
                        fastcgi_pass pm_dispatch;
                        fastcgi_keep_conn on;
                    }
                }
            }
            """);
        return await PeerServer.StartAsync("/usr/sbin/nginx", ["-p", root, "-c", config], config, Path.Combine(root, "error.log"), port, Signals.SIGQUIT);
    }

    [Fact(Timeout = 90_000)]
    public async Task Nginx_ReachesADynamicApp_ColdThenWarm_WithPostsIntact_AndNothingOutsideTheRoots()
    {
        using var dir = new TestDirectory();
        await using var pm = await DispatchServer.StartAsync(dir);
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
