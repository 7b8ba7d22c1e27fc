using System.Diagnostics;
using System.Net;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>A pasted mod_fastcgi config under `pm serve` and `pm check-config`: the URLs Apache would give, and only those.</summary>
[Collection(RealProcesses.Name)]
public sealed class ApacheConfigServeTests
{
    private static string Snippet(TestDirectory dir) => $"""
        <IfModule mod_fastcgi.c>
            FastCgiConfig -appConnTimeout 15
            FastCgiServer {dir.File("hello.fcgi")} -processes 1
            Alias /hello {dir.File("hello.fcgi")}
            ScriptAlias /fcgi-bin/ {dir.File("fcgi-bin")}/
            <Directory {dir.File("fcgi-bin")}>
                Options +ExecCGI
                AddHandler fastcgi-script .fcgi
                Require all granted
            </Directory>
        </IfModule>
        """;

    private static string Prepare(TestDirectory dir)
    {
        dir.Link("hello.fcgi", FrontEndApps.FcgiTest);
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.fcgi"));
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.txt")); // as runnable, but not the handler's extension
        return root;
    }

    [Fact(Timeout = 90_000)]
    public async Task Serve_AliasAndDirectoryAddHandler_AnswerAtTheDerivedUrls_AndAnotherExtensionIsNotRun()
    {
        using var dir = new TestDirectory();
        var root = Prepare(dir);
        await using var server = await FrontEndServer.StartAsync(dir, Snippet(dir));

        var hello = await server.Client.GetStringAsync("/hello/x?mode=env");
        hello.Should().Contain("SCRIPT_NAME=/hello\n").And.Contain("PATH_INFO=/x\n");

        var dynamic = await server.Client.GetStringAsync("/fcgi-bin/test.fcgi?mode=env");
        dynamic.Should().Contain("SCRIPT_NAME=/fcgi-bin/test.fcgi\n").And.Contain($"SCRIPT_FILENAME={Path.Combine(root, "test.fcgi")}\n");

        using var txt = await server.Client.GetAsync("/fcgi-bin/test.txt?mode=env");
        txt.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        server.Pm.Output.Should().NotContain($"dynamic app {Path.Combine(root, "test.txt")}");
        server.Pm.Output.Should().Contain($"dynamic app {Path.Combine(root, "test.fcgi")}: created");
    }

    [Fact(Timeout = 60_000)]
    public async Task CheckConfig_PrintsTheUrlMapNoticesAndWarnings_AndExits0()
    {
        using var dir = new TestDirectory();
        Prepare(dir);
        var config = dir.Write("httpd.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            {Snippet(dir)}
            FastCgiServer {dir.Link("worker.fcgi", FrontEndApps.FcgiTest)}
            ServerName example.org
            """);

        var info = new ProcessStartInfo(Paths.Pm, ["check-config", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var pm = Process.Start(info)!;
        var output = pm.StandardOutput.ReadToEndAsync();
        var error = pm.StandardError.ReadToEndAsync();
        await pm.WaitForExitAsync();
        var text = await output;

        pm.ExitCode.Should().Be(0, "notices and warnings do not fail a config: {0}{1}", text, await error);
        text.Should().Contain($"  /fcgi-bin -> dynamic {dir.File("fcgi-bin")} (.fcgi)")
            .And.Contain($"  /hello -> app {dir.File("hello.fcgi")}")
            .And.Contain($"notice: {config}:10: ignored: Apache directive Require")
            .And.Contain($"notice: {config}:14: ignored: Apache directive ServerName")
            .And.Contain($"warning: {config}:13: FastCgiServer {dir.File("worker.fcgi")} has no URL");
        text.IndexOf("/fcgi-bin ->", StringComparison.Ordinal).Should().BeLessThan(text.IndexOf("/hello ->", StringComparison.Ordinal), "longest prefix first, as routing matches");
        Directory.Exists(dir.IpcDir).Should().BeFalse("check-config starts nothing");
    }
}
