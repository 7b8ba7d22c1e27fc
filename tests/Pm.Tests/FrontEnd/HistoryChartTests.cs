using System.Globalization;
using System.Xml.Linq;
using Pm.FrontEnd.Status;
using Pm.Status;

namespace Pm.Tests.FrontEnd;

/// <summary>The status page's chart as XML: well-formed, the lines where the figures put them, a mark per event.</summary>
public sealed class HistoryChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 3, 17, 41, 337, TimeSpan.Zero);
    private static readonly TimeSpan Span = TimeSpan.FromMinutes(10);

    private static AppHistoryReport History(IEnumerable<HistorySample> samples, params HistoryEvent[] events) =>
        new(Span.TotalSeconds, 5, samples.ToList(), events);

    private static XElement Parse(AppHistoryReport history) => XDocument.Parse(HistoryChart.Svg(history, Now, "app <x> & \"y\"")).Root!;

    private static (double Left, double Top, double Right, double Bottom) Plot(XElement svg)
    {
        var rect = svg.Elements(Svg + "rect").Single(e => (string?)e.Attribute("class") == "plot");
        double A(string name) => double.Parse((string)rect.Attribute(name)!, CultureInfo.InvariantCulture);
        return (A("x"), A("y"), A("x") + A("width"), A("y") + A("height"));
    }

    private static List<(double X, double Y)> Points(XElement svg, string series)
    {
        var line = svg.Elements().Single(e => (string?)e.Attribute("class") == "series " + series);
        return ((string)line.Attribute("points")!).Split(' ').Select(p => p.Split(','))
            .Select(xy => (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture))).ToList();
    }

    [Fact]
    public void Svg_WithSamplesAndEvents_IsWellFormedXml_WithTheLabelEscaped()
    {
        var svg = Parse(History([new HistorySample(Now - TimeSpan.FromMinutes(1), 2, 1, 0), new HistorySample(Now, 3, 2, 4)],
            new HistoryEvent(Now - TimeSpan.FromSeconds(30), HistoryEvent.Start, 12, "policy: queue <5> & rising")));

        svg.Name.Should().Be(Svg + "svg");
        ((string)svg.Attribute("aria-label")!).Should().Be("app <x> & \"y\"");
        svg.Descendants(Svg + "title").Single().Value.Should().Be("03:17:11 UTC start pid 12: policy: queue <5> & rising");
    }

    [Fact]
    public void Svg_SampleAtNowAndOneSpanAgo_SpanThePlotFromLeftToRight()
    {
        var svg = Parse(History([new HistorySample(Now - Span, 1, 0, 0), new HistorySample(Now, 1, 0, 0)]));
        var plot = Plot(svg);

        var points = Points(svg, "instances");

        points[0].X.Should().Be(plot.Left);
        points[^1].X.Should().Be(plot.Right);
    }

    [Fact]
    public void Svg_Values_ScaleToARoundTop_ZeroAtTheBottom()
    {
        // Peak 7: the scale's top is 8 (steps of 2), so 4 instances sit half way up and 0 queued at the bottom.
        var svg = Parse(History([new HistorySample(Now - TimeSpan.FromMinutes(5), 4, 7, 0), new HistorySample(Now, 4, 0, 0)]));
        var plot = Plot(svg);

        Points(svg, "instances").Should().OnlyContain(p => Math.Abs(p.Y - (plot.Top + plot.Bottom) / 2) < 0.1);
        Points(svg, "queue").Should().OnlyContain(p => p.Y == plot.Bottom);
        Points(svg, "busy").Min(p => p.Y).Should().BeApproximately(plot.Bottom - (plot.Bottom - plot.Top) * 7 / 8, 0.1);
        svg.Elements(Svg + "text").Where(t => (string?)t.Attribute("class") == "scale").Select(t => t.Value).Should().Equal("0", "2", "4", "6", "8");
    }

    [Fact]
    public void Svg_ASampleHoldsTheIntervalItEnds_SoTheLineStepsAtThePreviousSample()
    {
        var earlier = Now - TimeSpan.FromMinutes(2);
        var svg = Parse(History([new HistorySample(earlier, 1, 0, 0), new HistorySample(Now, 2, 0, 0)]));
        var plot = Plot(svg);
        var x = plot.Left + (plot.Right - plot.Left) * 0.8;

        var points = Points(svg, "instances");

        points.Should().HaveCount(3);
        points[0].X.Should().BeApproximately(x, 0.1);
        points[1].X.Should().BeApproximately(x, 0.1, "the step up to 2 is drawn where the interval that saw 2 began");
        points[1].Y.Should().BeLessThan(points[0].Y);
        points[2].Should().Be((plot.Right, points[1].Y));
    }

    [Fact]
    public void Svg_Events_AreMarkedWhereTheyHappened_EachWithItsKind()
    {
        var svg = Parse(History([new HistorySample(Now - Span, 1, 0, 0), new HistorySample(Now, 1, 0, 0)],
            new HistoryEvent(Now - Span / 2, HistoryEvent.Start, 10, "starting 1"),
            new HistoryEvent(Now - Span / 4, HistoryEvent.Kill, 11, "-request-timeout"),
            new HistoryEvent(Now, HistoryEvent.Exit, 12, "killed by SIGSEGV"),
            new HistoryEvent(Now - Span - TimeSpan.FromSeconds(1), HistoryEvent.Stop, 9, "too old to show")));
        var plot = Plot(svg);
        var width = plot.Right - plot.Left;

        var marks = svg.Elements(Svg + "g").Select(g => ((string)g.Attribute("class")!, double.Parse((string)g.Attribute("data-x")!, CultureInfo.InvariantCulture))).ToList();

        marks.Should().HaveCount(3);
        marks[0].Item1.Should().Be("mark start");
        marks[0].Item2.Should().BeApproximately(plot.Left + width / 2, 0.1);
        marks[1].Item1.Should().Be("mark kill");
        marks[1].Item2.Should().BeApproximately(plot.Left + width * 3 / 4, 0.1);
        marks[2].Should().Be(("mark exit", plot.Right));
    }

    [Fact]
    public void Svg_NoSamples_SaysSo_AndDrawsNoLine()
    {
        var svg = Parse(History([]));

        svg.Elements().Should().NotContain(e => ((string?)e.Attribute("class") ?? "").StartsWith("series", StringComparison.Ordinal));
        svg.Elements(Svg + "text").Should().Contain(t => t.Value == "no samples yet");
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(5, 5, 1)]
    [InlineData(6, 6, 2)]
    [InlineData(7, 8, 2)]
    [InlineData(11, 15, 5)]
    [InlineData(50, 50, 10)]
    [InlineData(51, 60, 20)]
    [InlineData(430, 500, 100)]
    public void Scale_Max_GivesARoundTopInAtMostFiveSteps(int max, int top, int step) =>
        HistoryChart.Scale(max).Should().Be((top, step));
}
