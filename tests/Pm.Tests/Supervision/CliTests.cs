using System.Diagnostics;
using System.Text.Json;
using Pm.Status;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>The pm command line as a user and a script use it.</summary>
[Collection(RealProcesses.Name)]
public sealed class CliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static async Task<(int Code, string Out, string Err)> Pm(params string[] args)
    {
        var info = new ProcessStartInfo(Paths.Pm, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Wait);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await output, await error);
    }

    [Fact(Timeout = 60_000)]
    public async Task CheckConfig_ReportsEveryError_AndExits2WithoutStartingAnything()
    {
        using var dir = new TestDirectory();
        var config = dir.Write("bad.conf", $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {dir.File("missing.fcgi")} -processes 2
            FastCgiServer /bin/sh -processes zero
            FastCgiConfig -gainValue 7
            """);

        var (code, _, err) = await Pm("check-config", config);
        code.Should().Be(2);
        err.Should().Contain($"{config}:2: FastCgiServer: \"{dir.File("missing.fcgi")}\" does not exist")
            .And.Contain($"{config}:3: FastCgiServer: /bin/sh: invalid value for -processes: \"zero\" is not a whole number")
            .And.Contain($"{config}:4: FastCgiConfig: invalid value for -gainValue")
            .And.Contain("3 errors");
        Directory.Exists(dir.IpcDir).Should().BeFalse("nothing was started");
    }

    [Fact(Timeout = 60_000)]
    public async Task Status_ListsAppsAndInstances_ForPeopleAndAsJsonForScripts()
    {
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", NativeApps.HelloC);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {hello} -socket hello -processes 2 -url /hello
            FastCgiExternalServer /srv/remote.fcgi -host 127.0.0.1:9999
            """);
        var config = dir.File("pm.conf");

        var (code, json, _) = await Pm("status", "--config", config, "--json");
        code.Should().Be(0);
        var report = JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport)!;
        report.Pid.Should().Be(pm.Pid);
        var app = report.Apps.Single(a => a.Kind == "static");
        app.Instances.Should().HaveCount(2).And.OnlyContain(i => i.State == "idle");
        app.Url.Should().Be("/hello");
        report.Apps.Should().ContainSingle(a => a.Kind == "external" && a.Address == "127.0.0.1:9999");

        var (_, text, _) = await Pm("status", "--ipc-dir", dir.IpcDir);
        text.Should().Contain($"static {hello}").And.Contain("instances 2/2").And.Contain("external /srv/remote.fcgi")
            .And.Contain(app.Instances[0].Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        (await pm.StopAsync(Wait)).Should().Be(0);
        var (after, _, err) = await Pm("status", "--ipc-dir", dir.IpcDir);
        after.Should().Be(3);
        err.Should().Contain("no PM runs with IPC dir").And.Contain("-c CONFIG or $PM_CONFIG");
    }
}
