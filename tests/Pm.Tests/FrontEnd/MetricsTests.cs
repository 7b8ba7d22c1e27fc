using System.Net;
using System.Text.RegularExpressions;
using Pm.Status;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>/metrics: the PM's status in Prometheus' text format, from the web processes.</summary>
[Collection(RealProcesses.Name)]
public sealed partial class MetricsTests
{
    [Fact]
    public void Render_WritesHelpAndTypeForEachFamily_AndEscapesLabelValues()
    {
        var now = DateTimeOffset.UtcNow;
        var app = new AppStatus("/srv/a \"quoted\"\\app", "static", "/x", "/a", 2, 3, 1, null, null, null, 7,
            [new InstanceStatus(1, 42, "busy", now, 5, 0) { RssBytes = 1000, PrivateBytes = 10 }]);
        var text = PrometheusText.Render(new StatusReport(1, now.AddSeconds(-10), now, "/ipc", "/c", [app]));

        text.Should().Contain("# TYPE pm_app_restarts_total counter\n");
        text.Should().Contain("pm_app_instances{app=\"/srv/a \\\"quoted\\\"\\\\app\",kind=\"static\",state=\"busy\"} 1\n");
        text.Should().Contain("pm_instance_requests_total{app=\"/srv/a \\\"quoted\\\"\\\\app\",pid=\"42\"} 5\n");
        text.Should().Contain("pm_instance_memory_bytes{app=\"/srv/a \\\"quoted\\\"\\\\app\",pid=\"42\",type=\"private\"} 10\n");
        text.Should().NotContain("type=\"pss\"", "a figure not known is left out, not written as 0");
        text.Should().Contain("pm_uptime_seconds 10\n");
        Lines(text).Should().OnlyContain(l => SampleOrComment().IsMatch(l));
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_FromAWebProcess_CountEachInstancesRequests()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"PmStatusPage /\nFastCgiServer {app} -processes 2 -url /t");
        for (var i = 0; i < 5; i++)
        {
            (await server.Client.GetStringAsync("/t?mode=count")).Should().StartWith("pid=");
        }

        using var response = await server.Client.GetAsync("/metrics");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Contain("version=0.0.4");
        var text = await response.Content.ReadAsStringAsync();
        Lines(text).Should().OnlyContain(l => SampleOrComment().IsMatch(l));
        var counted = RequestsOf().Matches(text).Where(m => m.Groups[1].Value == app).Sum(m => long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        counted.Should().Be(5, "each instance's count, summed, is the requests sent");
        text.Should().Contain($"pm_app_instances{{app=\"{app}\",kind=\"static\",state=\"idle\"}} 2");

        await PromtoolAccepts(text);

        var json = await server.Client.GetStringAsync("/?json");
        var report = System.Text.Json.JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport)!;
        report.Apps.Single(a => a.Name == app).Instances.Sum(i => i.Requests).Should().Be(5, "/?json is the status report, as pm status --json gives it");
    }

    /// <summary>`promtool check metrics` (Debian's prometheus package) reads the text from stdin: exit 0 and no lint problem.</summary>
    internal static async Task PromtoolAccepts(string text)
    {
        var start = new System.Diagnostics.ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = System.Diagnostics.Process.Start(start)!;
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        var output = promtool.StandardOutput.ReadToEndAsync();
        var errors = promtool.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await promtool.WaitForExitAsync(deadline.Token);
        var said = (await output + await errors).Trim();
        promtool.ExitCode.Should().Be(0, "promtool check metrics said: {0}", said);
        said.Should().BeEmpty("promtool's lint finds nothing to say about the metrics");
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("""^(# (HELP|TYPE) pm_[a-z_]+ .+|pm_[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+)$""")]
    private static partial Regex SampleOrComment();

    [GeneratedRegex("""pm_instance_requests_total\{app="([^"]*)",pid="\d+"\} (\d+)""")]
    private static partial Regex RequestsOf();
}
