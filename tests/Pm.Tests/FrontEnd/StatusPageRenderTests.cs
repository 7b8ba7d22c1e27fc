using System.Text.RegularExpressions;
using Pm.FrontEnd.Status;
using Pm.Status;

namespace Pm.Tests.FrontEnd;

/// <summary>The status page rendered from reports made up here: no PM, no processes.</summary>
public sealed partial class StatusPageRenderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 3, 17, 41, 337, TimeSpan.Zero);

    private static StatusReport Report(params AppStatus[] apps) => new(4242, Now - TimeSpan.FromHours(2), Now, "/run/pm", "/etc/pm/pm.conf", apps);

    private static AppStatus App(string name, IReadOnlyList<InstanceStatus> instances, AppHistoryReport? history = null) =>
        new(name, "static", "unix:/run/pm/x.sock", "/x", instances.Count, 3, 0, null, null, null, 17, instances) { History = history };

    private static InstanceStatus Instance(int pid, string state = "idle") => new(pid, pid, state, Now - TimeSpan.FromMinutes(3), 5, 0);

    [Fact]
    public void Render_NoApps_IsABalancedPageThatSaysSo()
    {
        var html = StatusPage.Render(Report());

        html.Should().Contain("No apps are configured.");
        Unbalanced(html).Should().BeEmpty();
    }

    [Fact]
    public void Render_FiftyInstances_ListsEveryOne_InOneBalancedTable()
    {
        var instances = Enumerable.Range(1000, 50).Select(pid => Instance(pid, pid % 3 == 0 ? "busy" : "idle")).ToList();

        var html = StatusPage.Render(Report(App("/srv/app.fcgi", instances, new AppHistoryReport(600, 5, [], []))));

        foreach (var pid in Enumerable.Range(1000, 50))
        {
            html.Should().Contain($"<tr><td>{pid}</td>");
        }

        html.Should().Contain("<dd>50 running of 50 wanted</dd>").And.Contain("<dt>busy</dt><dd>16</dd>");
        Unbalanced(html).Should().BeEmpty();
    }

    [Fact]
    public void Render_ByDefault_RefreshesEveryFiveSeconds_AndNotWhenToldNone()
    {
        StatusPage.Render(Report()).Should().Contain("<meta http-equiv=\"refresh\" content=\"5\">");
        StatusPage.Render(Report(), refreshSeconds: 30).Should().Contain("<meta http-equiv=\"refresh\" content=\"30\">");
        StatusPage.Render(Report(), refreshSeconds: null).Should().NotContain("http-equiv=\"refresh\"").And.Contain("does not refresh itself");
    }

    [Theory]
    [InlineData(null, 5, false)]
    [InlineData("", 5, false)]
    [InlineData("12", 12, false)]
    [InlineData("none", null, false)]
    [InlineData("0", null, false)]
    [InlineData("-3", 5, true)]
    [InlineData("soon", 5, true)]
    [InlineData("86401", 5, true)]
    public void Refresh_FromQuery_ReadsSecondsOrNone_AndSaysWhatItIgnored(string? value, int? seconds, bool problem)
    {
        var (every, why) = Refresh.FromQuery(value);

        every.Should().Be(seconds);
        (why is not null).Should().Be(problem);
        if (problem)
        {
            why.Should().Contain($"?refresh={value}");
        }
    }

    [Fact]
    public void Render_TheMeasuredFigures_ShowWhereKnown_AndADashWhereNot()
    {
        var busy = Instance(77, "busy") with
        {
            Request = new HeldRequest("POST", "/x/upload?id=<9>", Now - TimeSpan.FromSeconds(12.5)),
            CpuSeconds = 3.25,
            CpuPercent = 41.67,
            PrivateBytes = 5 * 1024 * 1024 + 512 * 1024,
        };
        var app = App("/srv/app.fcgi", [busy, Instance(78)]) with
        {
            AcceptQueue = 4, AcceptQueueMax = 19, InFlight = 2, MaxInstancesReached = 6, SlowRequests = 11,
            LastKill = new KillReport(70, Now - TimeSpan.FromSeconds(90), "-request-timeout 30 s", "R (running) in php_execute"),
        };

        var html = StatusPage.Render(Report(app, App("/srv/other.fcgi", [Instance(90)])));

        html.Should().Contain("<dt>accept queue</dt><dd>4 now, 19 at most</dd>").And.Contain("<dt>in flight</dt><dd>2</dd>")
            .And.Contain("<dt>max instances reached</dt><dd>6</dd>").And.Contain("<dt>slow requests</dt><dd>11</dd>");
        html.Should().Contain("<dt>accept queue</dt><dd>- now, - at most</dd>", "the other app's queue is not known");
        html.Should().Contain("POST /x/upload?id=&lt;9&gt;").And.Contain(">12.5s<").And.Contain(">3.25 s<").And.Contain(">41.7%<").And.Contain(">5.5 MB<");
        html.Should().Contain("pid 70, 1m30s ago: -request-timeout 30 s").And.Contain("R (running) in php_execute");
        Unbalanced(html).Should().BeEmpty();
    }

    [Fact]
    public void Render_AnAppWithHistory_HasItsChart_AnExternalAppNone()
    {
        var history = new AppHistoryReport(600, 5, [new HistorySample(Now - TimeSpan.FromSeconds(5), 1, 0, 0), new HistorySample(Now, 2, 1, 0)],
            [new HistoryEvent(Now, HistoryEvent.Start, 5, "slot 1: first start")]);
        var external = new AppStatus("/ext", "external", "127.0.0.1:9", "/ext", 0, 0, 0, null, null, null, null, []);

        var html = StatusPage.Render(Report(App("/srv/app.fcgi", [Instance(5)], history), external));

        Count(html, "<svg ").Should().Be(1);
        html.Should().Contain("<title>03:17:41 UTC start pid 5: slot 1: first start</title>");
        html.Should().NotContain("<script");
    }

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    /// <summary>The elements opened and not closed (or closed and not opened), HTML's void elements and SVG's self-closed ones aside.</summary>
    private static List<string> Unbalanced(string html)
    {
        string[] voids = ["meta", "br", "hr", "img", "input", "link", "col", "wbr", "!DOCTYPE"];
        var open = new Stack<string>();
        var wrong = new List<string>();
        foreach (Match tag in Tag().Matches(html))
        {
            var name = tag.Groups["name"].Value;
            if (voids.Contains(name, StringComparer.OrdinalIgnoreCase) || tag.Value.EndsWith("/>", StringComparison.Ordinal))
            {
                continue;
            }

            if (tag.Groups["close"].Success)
            {
                if (open.Count == 0 || open.Pop() != name)
                {
                    wrong.Add("</" + name + ">");
                }
            }
            else
            {
                open.Push(name);
            }
        }

        wrong.AddRange(open.Select(n => "<" + n + ">"));
        return wrong;
    }

    [GeneratedRegex("<(?<close>/)?(?<name>!?[A-Za-z][A-Za-z0-9]*)[^>]*>")]
    private static partial Regex Tag();
}
