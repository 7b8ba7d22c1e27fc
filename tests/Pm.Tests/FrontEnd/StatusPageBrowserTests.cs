using Pm.FrontEnd.Status;
using Pm.Status;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>The status page of a real `pm serve` in headless Chromium: it renders, draws its charts, logs no console error.</summary>
[Collection(RealProcesses.Name)]
public sealed class StatusPageBrowserTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(60);
    private const int Width = 1280, Height = 2000;

    [ChromiumFact(Timeout = 180_000)]
    public async Task StatusPage_InChromium_RendersItsChartsWithNoConsoleError()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.fcgi"));
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmStatusPage /
            FastCgiConfig -appConnTimeout 15
            FastCgiServer {app} -processes 2 -url /t
            PmDynamicRoot /fcgi-bin/ {root}
            """);
        for (var i = 0; i < 3; i++)
        {
            (await server.Client.GetStringAsync("/t")).Should().StartWith("pid ");
            (await server.Client.GetStringAsync("/fcgi-bin/test.fcgi")).Should().StartWith("pid ");
        }

        // The report the page draws: both static instances' starts in the history, a sample, and their CPU once sampled twice.
        StatusReport status = null!;
        await WaitUntil(async () =>
        {
            status = await server.Pm.StatusAsync();
            var statics = status.Apps.Single(a => a.Name == app);
            return statics.History is { Samples.Count: > 0 } h && h.Events.Count(e => e.Kind == HistoryEvent.Start) == 2
                && statics.Instances.All(i => i.CpuSeconds is not null && i.CpuPercent is not null)
                && status.Apps.Any(a => a.Kind == "dynamic" && a.History is { Samples.Count: > 0 });
        }, Wait, "the static app's history and CPU figures");

        var html = await server.Client.GetStringAsync("/");
        html.Should().Contain("<svg ").And.Contain("<meta http-equiv=\"refresh\" content=\"5\">");
        var shot = dir.File("status.png");

        var browser = await HeadlessChromium.ScreenshotAsync(dir, $"http://127.0.0.1:{server.Port}/", shot, Width, Height, BrowserTimeout);

        browser.TimedOut.Should().BeFalse("chromium took the screenshot within {0}; its log:\n{1}", BrowserTimeout, browser.Log);
        browser.ExitCode.Should().Be(0, browser.Log);
        browser.ConsoleLines.Should().BeEmpty("the page has no script and loads nothing else: any console message is an error");
        browser.Leftovers.Should().BeEmpty("chromium's processes end with it");
        File.Exists(shot).Should().BeTrue(browser.Log);
        var png = PngImage.Read(await File.ReadAllBytesAsync(shot));
        png.Width.Should().Be(Width);
        png.Height.Should().Be(Height);
        png.Colours(enough: 50).Should().Be(50, "text, badges and chart lines make many colours; a blank or failed page has one or two");
        // Only the charts' plot areas have their colour (the page is white): three charts (static, web, dynamic) drawn at their size.
        var plotArea = (int)(HistoryChart.PlotWidth * HistoryChart.PlotHeight);
        Count(png, Convert.ToInt32(HistoryChart.PlotColour[1..], 16)).Should().BeGreaterThan(3 * plotArea / 2, "three charts of {0} px² each, lines and grid aside, were drawn", plotArea);
    }

    [ChromiumFact(Timeout = 120_000)]
    public async Task Chromium_APageWithAScriptError_IsSeenAsAConsoleError()
    {
        // The check above must be able to fail: the same run, on a page that does throw.
        using var dir = new TestDirectory();
        var page = dir.Write("broken.html", "<!DOCTYPE html><html><body><p>x</p><script>notDefinedAnywhere();</script></body></html>");

        var browser = await HeadlessChromium.ScreenshotAsync(dir, "file://" + page, dir.File("broken.png"), 400, 300, BrowserTimeout);

        browser.TimedOut.Should().BeFalse(browser.Log);
        browser.ConsoleLines.Should().ContainSingle().Which.Should().Contain("Uncaught ReferenceError: notDefinedAnywhere is not defined");
        browser.Leftovers.Should().BeEmpty();
    }

    private static int Count(PngImage png, int rgb)
    {
        var n = 0;
        for (var y = 0; y < png.Height; y++)
        {
            for (var x = 0; x < png.Width; x++)
            {
                n += png.Rgb(x, y) == rgb ? 1 : 0;
            }
        }

        return n;
    }
}
