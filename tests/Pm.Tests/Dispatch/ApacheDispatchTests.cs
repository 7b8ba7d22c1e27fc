using System.Net;
using Pm.Posix;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch;

/// <summary>Real Apache httpd with mod_proxy_fcgi in front of a dynamic app through the dispatcher (issue 10).</summary>
[Collection(RealProcesses.Name)]
public sealed class ApacheDispatchTests
{
    private const string Modules = "/usr/lib/apache2/modules";

    private static async Task<PeerServer> StartApacheAsync(TestDirectory dir, DispatchServer pm)
    {
        var port = FrontEndServer.FreePort();
        var root = Directory.CreateDirectory(dir.File("apache")).FullName;
        var config = Path.Combine(root, "httpd.conf");

        // Apache refuses to serve as root: its children run as www-data, which the dispatcher's socket lets in by
        // -socket-group www-data (see the test). The test directory is 0755, so www-data reaches the socket and the
        // scripts. Every file it writes is in its own directory (DefaultRuntimeDir, PidFile, ErrorLog).
        var user = Identity.IsRoot ? "User www-data\nGroup www-data" : "";
        File.WriteAllText(config, $"""
            ServerRoot {root}
            ServerName localhost
            LoadModule mpm_event_module {Modules}/mod_mpm_event.so
            LoadModule authz_core_module {Modules}/mod_authz_core.so
            LoadModule proxy_module {Modules}/mod_proxy.so
            LoadModule proxy_fcgi_module {Modules}/mod_proxy_fcgi.so
            {user}
            Listen 127.0.0.1:{port}
            PidFile {root}/httpd.pid
            DefaultRuntimeDir {root}
            ErrorLog {root}/error.log
            LogLevel warn
            StartServers 1
            ServerLimit 1
            ThreadsPerChild 8
            MaxRequestWorkers 8
            DocumentRoot {dir.Path}
            <Directory {dir.Path}>
                Require all granted
                <FilesMatch "\.fcgi$">
                    SetHandler "proxy:unix:{pm.Socket}|fcgi://localhost"
                </FilesMatch>
            </Directory>
            """);
        return await PeerServer.StartAsync("/usr/sbin/apache2", ["-f", config, "-DFOREGROUND"], config, Path.Combine(root, "error.log"), port, Signals.SIGTERM);
    }

    [Fact(Timeout = 90_000)]
    public async Task Apache_ModProxyFcgi_ReachesADynamicApp_ColdThenWarm_WithPostsIntact()
    {
        using var dir = new TestDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
        await using var pm = await DispatchServer.StartAsync(dir, socketOptions: Identity.IsRoot ? "-socket-group www-data" : "");
        var socket = PosixFile.StatPathNoFollow(pm.Socket)!.Value;
        socket.Permissions.Should().Be(0x1B0, "-socket-group alone gives the group read and write, as php-fpm's listen.group does");
        if (Identity.IsRoot)
        {
            socket.GroupId.Should().Be(UserDatabase.FindGroup("www-data")!.Gid);
        }

        await using var apache = await StartApacheAsync(dir, pm);

        using var cold = await apache.Client.GetAsync("/fcgi-bin/test.fcgi");
        (await cold.Content.ReadAsStringAsync()).Should().StartWith("pid ", "the first request started the app; apache said: {0}", apache.ErrorLog);
        cold.StatusCode.Should().Be(HttpStatusCode.OK);

        using var env = await apache.Client.GetAsync("/fcgi-bin/test.fcgi?mode=env");
        (await env.Content.ReadAsStringAsync()).Should().Contain($"SCRIPT_FILENAME=proxy:fcgi://localhost{pm.App}\n",
            "the params reach the app as Apache sent them; the dispatcher reads the path after the proxy: prefix");

        var body = Checksums.Pattern(200_000);
        using var post = await apache.Client.PostAsync("/fcgi-bin/test.fcgi?mode=echo", new ByteArrayContent(body));
        post.StatusCode.Should().Be(HttpStatusCode.OK);
        (await post.Content.ReadAsStringAsync()).Should().Be($"length=200000 fnv={Checksums.Fnv1a64(body)}\n");
        pm.Pm.Lines.Count(l => l.Contains($"dynamic app {pm.App}: created", StringComparison.Ordinal)).Should().Be(1);
    }
}
