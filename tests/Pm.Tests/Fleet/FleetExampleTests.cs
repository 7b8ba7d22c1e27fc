using System.Diagnostics;
using System.Text.RegularExpressions;
using Pm.Tests.Fixtures;
using Pm.Tests.Fleet.Support;

namespace Pm.Tests.Fleet;

/// <summary>
/// The files of examples/fleet, checked by the programs that will read them (pm check-config, nginx -t, promtool
/// check config) and against one another; these need no network namespaces. FleetFailoverTests runs them.
/// </summary>
public sealed partial class FleetExampleTests
{
    [Fact]
    public void HostB_IsHostAWithItsOwnAddress()
    {
        var a = FleetExample.Read("host-a.conf");
        var b = FleetExample.Read("host-b.conf");

        var expected = a
            .Replace("# Host A of", "# Host B of", StringComparison.Ordinal)
            .Replace($"(host-b.conf:\n# {FleetExample.HostB})", $"(host-a.conf:\n# {FleetExample.HostA})", StringComparison.Ordinal)
            .Replace("host-a.conf ", "host-b.conf ", StringComparison.Ordinal)
            .Replace($"Listen {FleetExample.HostA}:", $"Listen {FleetExample.HostB}:", StringComparison.Ordinal);
        b.Should().Be(expected, "every host runs the same config but for its own address");
    }

    [Fact(Timeout = 60_000)]
    public async Task HostConfigs_PassCheckConfig()
    {
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", Paths.Hello);
        var statusListen = await FleetExample.PmHasStatusListenAsync();
        foreach (var name in new[] { "host-a.conf", "host-b.conf" })
        {
            var config = dir.Write(name, FleetExample.HostConfig(name, new Dictionary<string, string>(), hello, dir.IpcDir, statusListen));

            var (code, output) = await PmCommand.RunAsync(["check-config", config]);

            code.Should().Be(0, "examples/fleet/{0} is a valid config: {1}", name, output);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task NginxConfig_PassesNginxTest()
    {
        using var dir = new TestDirectory();
        // nginx -t binds what the config listens on: a free port rather than 80, which may be taken or need root.
        var listen = new Dictionary<string, string> { ["listen 80;"] = $"listen 127.0.0.1:{FrontEnd.Support.FrontEndServer.FreePort()};" };
        var config = dir.Write("nginx.conf", FleetExample.NginxConfig(dir.Path, listen));

        var (code, output) = await RunAsync("/usr/sbin/nginx", ["-t", "-p", dir.Path, "-c", config]);

        code.Should().Be(0, "nginx -t accepts examples/fleet/nginx-fleet.conf in an http block: {0}", output);
        output.Should().Contain("syntax is ok");
    }

    [Fact(Timeout = 60_000)]
    public async Task PrometheusConfig_PassesPromtoolCheckConfig()
    {
        var (code, output) = await RunAsync("promtool", ["check", "config", Path.Combine(FleetExample.Directory, "prometheus.yml")]);

        code.Should().Be(0, "promtool check config accepts examples/fleet/prometheus.yml: {0}", output);
        output.Should().Contain("SUCCESS");
    }

    [Fact]
    public void Prometheus_ScrapesEveryHostsStatusListener_AndNginx_BalancesEveryHostsListener()
    {
        var targets = Target().Matches(FleetExample.Read("prometheus.yml")).Select(m => m.Groups[1].Value).ToList();
        var upstreams = Upstream().Matches(FleetExample.Read("nginx-fleet.conf")).Select(m => m.Groups[1].Value).ToList();

        var statusListens = new List<string>();
        var listens = new List<string>();
        foreach (var name in new[] { "host-a.conf", "host-b.conf" })
        {
            var lines = FleetExample.Read(name).Split('\n');
            statusListens.Add(lines.Single(l => l.StartsWith("PmStatusListen ", StringComparison.Ordinal)).Split(' ')[1]);
            listens.Add(lines.Single(l => l.StartsWith("PmListen ", StringComparison.Ordinal)).Split(' ')[1]);
        }

        targets.Should().BeEquivalentTo(statusListens, "Prometheus scrapes each host's PmStatusListen");
        upstreams.Should().BeEquivalentTo(listens, "nginx's upstream is each host's PmListen");
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"targets: \['([^']+)'\]")]
    private static partial Regex Target();

    [GeneratedRegex(@"^\s*server ([0-9.:]+) ", RegexOptions.Multiline)]
    private static partial Regex Upstream();
}
