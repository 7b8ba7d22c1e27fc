using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.Fleet.Support;

namespace Pm.Tests.Fleet;

/// <summary>
/// examples/fleet run for real: two hosts, each a network namespace with its own `pm serve` of the example's host
/// config, and nginx in the root namespace with the example's nginx-fleet.conf in front of both. A steady stream of
/// requests goes through nginx while one host's PM is stopped (SIGTERM: the clean stop) or killed (SIGKILL of the pid
/// the operator knows: its watchdog, whose core then stops everything it started). No request fails: nginx passes
/// the ones the dead host refuses or drops to the other (proxy_next_upstream), and every answer after the kill comes
/// from the surviving host. Nothing of the killed host is left, and after the test no process, namespace or interface.
/// And the app the example's hosts reach as an external app over TCP answers through either of them.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class FleetFailoverTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Requests answered before the kill, and after the killed host is gone: enough for nginx to try it again.</summary>
    private const int Before = 100;
    private const int After = 200;

    [NetnsFact(Timeout = 60_000)]
    public Task OneHostStopped_WithSigterm_NginxServesEveryRequestFromTheOther() => StopOneHostAsync(Signals.SIGTERM);

    [NetnsFact(Timeout = 60_000)]
    public Task OneHostKilled_WithSigkill_NginxServesEveryRequestFromTheOtherAndNothingOfItIsLeft() => StopOneHostAsync(Signals.SIGKILL);

    [NetnsFact(Timeout = 60_000)]
    public async Task ExternalApp_OnAHostNoPmRuns_AnswersThroughEitherHost()
    {
        NetworkNamespaces.WhyUnavailable.Should().BeNull("PM_TEST_NETNS=required: this machine must allow network namespaces");
        await using var fleet = await FleetRun.StartAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var reports = new Uri($"http://127.0.0.1:{fleet.Nginx.Port}/reports/monthly");

        // The app binds its address by itself: until it does, the hosts answer 503 (and nginx tries the other).
        var seen = new HashSet<string>();
        await Eventually.Until(async () =>
        {
            using var response = await client.GetAsync(reports);
            if (response.IsSuccessStatusCode && response.Headers.TryGetValues("X-Pm-Upstream", out var upstream))
            {
                seen.Add(upstream.Single());
            }

            return seen.Count == 2;
        }, Wait);

        seen.Should().BeEquivalentTo([fleet.UpstreamA, fleet.UpstreamB], "each host's PM passes /reports to the app on the third host");
        var page = await client.GetStringAsync(reports);
        page.Should().Contain("<dt>SCRIPT_NAME</dt><dd>/reports</dd>").And.Contain("<dt>PATH_INFO</dt><dd>/monthly</dd>", "the app is mounted at -url /reports");
    }

    private static async Task StopOneHostAsync(int signal)
    {
        NetworkNamespaces.WhyUnavailable.Should().BeNull("PM_TEST_NETNS=required: this machine must allow network namespaces");
        await using var fleet = await FleetRun.StartAsync();
        if (fleet.StatusListen)
        {
            await ScrapeAsync(fleet.A);
            await ScrapeAsync(fleet.B);
        }

        await using var stream = new RequestStream(new Uri($"http://127.0.0.1:{fleet.Nginx.Port}/hello?sleep=5"), concurrency: 4);
        await Eventually.Until(() => stream.Count >= Before, Wait);
        stream.Answers.Select(x => x.Upstream).Should().Contain([fleet.UpstreamA, fleet.UpstreamB], "nginx spreads the requests over both hosts");

        var code = await fleet.PmA.SignalAndWaitAsync(signal);
        if (signal == Signals.SIGTERM)
        {
            code.Should().Be(0, "SIGTERM is the PM's clean stop; its log:\n{0}", fleet.PmA.Output);
        }

        (await Leftovers.WaitUntilGoneAsync(fleet.PmA.Marker, TimeSpan.FromSeconds(5))).Should().BeEmpty("the stopped host's PM leaves none of its web processes or apps; its log:\n{0}", fleet.PmA.Output);
        NetworkNamespaces.PidsIn(fleet.A).Should().BeEmpty("nothing runs on the stopped host any more");
        var gone = stream.Count;
        await Eventually.Until(() => stream.Count >= gone + After, Wait);
        await stream.StopAsync();

        var answers = stream.Answers;
        answers.Where(x => x.Failure is not null).Select(x => $"#{x.Sequence}: {x.Failure}").Should().BeEmpty(
            "a stopped host costs no failed request (answers before it was gone: {0}, after: {1}); nginx's error log:\n{2}", gone, answers.Count - gone, fleet.Nginx.ErrorLog);
        answers.Skip(gone).Select(x => x.Upstream).Should().OnlyContain(u => u == fleet.UpstreamB, "once host A is gone, host B answers everything");
        fleet.Nginx.ErrorLog.Should().Contain(fleet.UpstreamA, "nginx did send requests to the stopped host, saw them fail, and passed them on");
    }

    /// <summary>What prometheus.yml scrapes: the host's PmStatusListen serves /metrics, reachable from the root namespace.</summary>
    private static async Task ScrapeAsync(NetworkNamespaces.Host host)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await client.GetStringAsync($"http://{host.Address}:9180/metrics");
        text.Should().Contain("pm_app_instances{", "host {0}'s /metrics is the PM's Prometheus text", host.Address);
    }
}
