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
    public async Task Render_EveryFamily_IsCleanForPromtool_WithCumulativeBucketsAndReasonLabels()
    {
        var now = DateTimeOffset.UtcNow;
        var app = new AppStatus("/srv/a", "dynamic", "/x", "/a", 2, 3, 1, null, null, null, 7, [new InstanceStatus(1, 42, "busy", now, 5, 0)])
        {
            InFlight = 1,
            AcceptQueue = 2,
            AcceptQueueMax = 9,
            MaxInstancesReached = 4,
            SlowRequests = 1,
            QueueWait = HistogramReport.FromBuckets([0.1, 1], [5, 1, 1], 3.25),
            ServiceTime = HistogramReport.FromBuckets([0.1, 1], [7, 0, 0], 0.5),
            Spawns = new Dictionary<string, long> { ["spawn"] = 3, ["restart"] = 1 },
            Kills = new Dictionary<string, long> { ["idle"] = 2 },
            Decisions = new Dictionary<string, long> { ["spawn"] = 3, ["retire"] = 2 },
        };
        var text = PrometheusText.Render(new StatusReport(1, now.AddSeconds(-10), now, "/ipc", "/c", [app]) { CpuSeconds = 1.5, RssBytes = 123456 });

        text.Should().Contain("# TYPE pm_app_queue_wait_seconds histogram\n");
        text.Should().Contain("pm_app_queue_wait_seconds_bucket{app=\"/srv/a\",kind=\"dynamic\",le=\"0.1\"} 5\n");
        text.Should().Contain("pm_app_queue_wait_seconds_bucket{app=\"/srv/a\",kind=\"dynamic\",le=\"1\"} 6\n");
        text.Should().Contain("pm_app_queue_wait_seconds_bucket{app=\"/srv/a\",kind=\"dynamic\",le=\"+Inf\"} 7\n");
        text.Should().Contain("pm_app_queue_wait_seconds_count{app=\"/srv/a\",kind=\"dynamic\"} 7\n");
        text.Should().Contain("pm_app_spawns_total{app=\"/srv/a\",kind=\"dynamic\",reason=\"restart\"} 1\n");
        text.Should().Contain("pm_app_policy_decisions_total{app=\"/srv/a\",kind=\"dynamic\",decision=\"retire\"} 2\n");
        text.Should().Contain("pm_app_accept_queue_max_connections{app=\"/srv/a\",kind=\"dynamic\"} 9\n");
        text.Should().Contain("pm_process_cpu_seconds_total 1.5\n").And.Contain("pm_process_resident_memory_bytes 123456\n");
        await PromtoolAccepts(text);
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

    [Fact(Timeout = 90_000)]
    public async Task Metrics_AfterNRequests_CountThemInBothHistograms_AndNoneIsLeftInFlight()
    {
        const int N = 7;
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var statusPort = FrontEndServer.FreePort();
        await using var server = await FrontEndServer.StartAsync(dir, $"PmStatusListen {statusPort}\nFastCgiServer {app} -processes 2 -url /t", webProcesses: 2);
        using var status = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statusPort}"), Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < N; i++)
        {
            // A fresh connection each: the requests spread over both web processes, whose scoreboards are summed.
            using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = server.Client.BaseAddress };
            (await client.GetStringAsync("/t")).Should().StartWith("pid ");
        }

        // A request is counted as its handler ends, which can be just after the client has the whole answer.
        AppStatus measured = null!;
        await Eventually.Until(async () =>
        {
            var report = System.Text.Json.JsonSerializer.Deserialize(await status.GetStringAsync("/?json"), StatusJsonContext.Default.StatusReport)!;
            measured = report.Apps.Single(a => a.Name == app);
            return measured.Requests == N;
        }, FrontEndServer.Wait);
        measured.InFlight.Should().Be(0);
        measured.QueueWait!.Count.Should().Be(N);
        measured.ServiceTime!.Count.Should().Be(N);
        measured.ServiceTime.Cumulative[^1].Should().Be(N, "+Inf holds every observation");
        measured.ServiceTime.SumSeconds.Should().BePositive();
        measured.AcceptQueue.Should().Be(0);
        measured.Spawns.Should().Equal(new Dictionary<string, long> { ["start"] = 2 }, "two instances started with the PM, none since");
        measured.Kills.Should().BeEmpty();

        var text = await status.GetStringAsync("/metrics");
        text.Should().Contain($"pm_app_requests_total{{app=\"{app}\",kind=\"static\"}} {N}\n");
        text.Should().Contain($"pm_app_service_time_seconds_count{{app=\"{app}\",kind=\"static\"}} {N}\n");
        text.Should().Contain($"pm_app_queue_wait_seconds_bucket{{app=\"{app}\",kind=\"static\",le=\"+Inf\"}} {N}\n");
        text.Should().Contain($"pm_app_requests_in_flight{{app=\"{app}\",kind=\"static\"}} 0\n");
        text.Should().Contain($"pm_app_spawns_total{{app=\"{app}\",kind=\"static\",reason=\"start\"}} 2\n");
        text.Should().Contain("pm_process_cpu_seconds_total ").And.Contain("pm_process_resident_memory_bytes ");
        await PromtoolAccepts(text);
    }

    [Fact(Timeout = 90_000)]
    public async Task DynamicApp_WantingMoreThanMaxClassProcesses_CountsMaxInstancesReached()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.fcgi"));
        var app = Path.Combine(root, "test.fcgi");
        var statusPort = FrontEndServer.FreePort();
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusListen {statusPort}
            FastCgiConfig -maxClassProcesses 1 -appConnTimeout 20
            PmDynamicRoot /fcgi-bin/ {root}
            """);
        using var status = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statusPort}"), Timeout = TimeSpan.FromSeconds(30) };

        // Three slow requests at once for an app that may run one instance: two wait, the policy wants more.
        var slow = Enumerable.Range(0, 3).Select(_ => server.Client.GetStringAsync("/fcgi-bin/test.fcgi?mode=slow&n=4&ms=500")).ToList();
        AppStatus measured = null!;
        await Eventually.Until(async () =>
        {
            var report = System.Text.Json.JsonSerializer.Deserialize(await status.GetStringAsync("/?json"), StatusJsonContext.Default.StatusReport)!;
            measured = report.Apps.SingleOrDefault(a => a.Name == app)!;
            return measured is { MaxInstancesReached: > 0 };
        }, FrontEndServer.Wait);
        measured.Instances.Should().HaveCount(1, "maxClassProcesses 1");
        (await status.GetStringAsync("/metrics")).Should().MatchRegex($"pm_app_max_instances_reached_total\\{{app=\"{System.Text.RegularExpressions.Regex.Escape(app)}\",kind=\"dynamic\"\\}} [1-9]");
        foreach (var answer in await Task.WhenAll(slow))
        {
            answer.Should().Contain("chunk");
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Status_ARequestInFlight_IsShownOnTheInstanceHoldingIt()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 2 -url /t -flush");
        var ready = await Eventually.ReadyInstancesAsync(server.Pm, app, 2, FrontEndServer.Wait);

        // About 3 s: long enough to be seen, each chunk flushed, so the request is surely with an instance.
        using var slow = await server.Client.GetAsync("/t?mode=slow&n=30&ms=100", HttpCompletionOption.ResponseHeadersRead);
        var body = slow.Content.ReadAsStringAsync();
        AppStatus seen = null!;
        await Eventually.Until(async () =>
        {
            seen = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app);
            return seen.Instances.Any(i => i.Request is not null);
        }, FrontEndServer.Wait);
        var holder = seen.Instances.Single(i => i.Request is not null);
        holder.Request!.Method.Should().Be("GET");
        holder.Request.Uri.Should().Be("/t?mode=slow&n=30&ms=100");
        holder.Request.Since.Should().BeBefore(DateTimeOffset.UtcNow.AddSeconds(1));
        seen.InFlight.Should().Be(1);
        ready.Select(i => i.Pid).Should().Contain(holder.Pid);

        (await body).Should().EndWith("chunk 30\n");
        await Eventually.Until(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app) is { InFlight: 0 } done && done.Instances.All(i => i.Request is null), FrontEndServer.Wait);
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
