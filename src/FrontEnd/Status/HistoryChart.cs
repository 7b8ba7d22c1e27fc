using System.Globalization;
using System.Net;
using System.Text;
using Pm.Shared;
using Pm.Status;

namespace Pm.FrontEnd.Status;

/// <summary>
/// An app's history as a small SVG chart, drawn on the server so that the page needs no script: its instances
/// (a blue line), how many of them were busy (an orange area) and the connections waiting in its accept queue (a
/// red line) over the history's span, ending now; above the plot a mark for each thing done to an instance (▲ a
/// start, ▼ a stop, a red ▼ a kill for a limit, ✕ an exit nobody asked for) whose &lt;title&gt; (the browser's
/// tooltip) says when, which pid and why.
/// </summary>
/// <remarks>
/// A pure function of the history and the report's time, so that it can be tested as XML. Each sample holds the
/// peak of the interval that it ends (<see cref="AppHistory"/>), so the lines step: a sample's value is drawn from
/// the previous sample's time to its own. The vertical scale is a round number at or above the largest value (at
/// least 1), with a grid line per step; the horizontal one is the span, a grid line per minute.
/// Colours are presentation attributes, not CSS, so that the chart reads the same cut out of the page.
/// </remarks>
public static class HistoryChart
{
    public const double Width = 720;
    public const double Height = 170;

    /// <summary>The plot's box inside the chart: room on the left for the scale, above for the marks, below for the times.</summary>
    public const double PlotLeft = 36, PlotTop = 18, PlotWidth = Width - PlotLeft - 12, PlotHeight = Height - PlotTop - 22;

    public const string InstancesColour = "#2563eb", BusyColour = "#f59e0b", QueueColour = "#dc2626";

    /// <summary>The plot's background: nothing else on the page has it (a browser test counts its pixels).</summary>
    public const string PlotColour = "#fafafa";

    private const string StartColour = "#16a34a", StopColour = "#6b7280", KillColour = "#dc2626";

    public static string Svg(AppHistoryReport history, DateTimeOffset now, string label)
    {
        var span = TimeSpan.FromSeconds(history.SpanSeconds);
        var samples = history.Samples.Where(s => s.At <= now && s.At >= now - span).ToList();
        var max = samples.Count == 0 ? 0 : samples.Max(s => Math.Max(s.Instances, Math.Max(s.Busy, s.Queue)));
        var (top, step) = Scale(max);

        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" role=\"img\" aria-label=\"{E(label)}\" font-family=\"system-ui, sans-serif\" font-size=\"11\">\n");
        b.Append(CultureInfo.InvariantCulture,
            $"<rect class=\"plot\" x=\"{N(PlotLeft)}\" y=\"{N(PlotTop)}\" width=\"{N(PlotWidth)}\" height=\"{N(PlotHeight)}\" fill=\"{PlotColour}\" stroke=\"#d4d4d4\"/>\n");

        for (var v = step; v <= top; v += step)
        {
            var y = Y(v, top);
            b.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(PlotLeft)}\" y1=\"{N(y)}\" x2=\"{N(PlotLeft + PlotWidth)}\" y2=\"{N(y)}\" stroke=\"#e5e5e5\"/>\n");
        }

        for (var v = 0; v <= top; v += step)
        {
            b.Append(CultureInfo.InvariantCulture, $"<text class=\"scale\" x=\"{N(PlotLeft - 5)}\" y=\"{N(Y(v, top) + 4)}\" text-anchor=\"end\" fill=\"#555\">{v}</text>\n");
        }

        var tick = span <= TimeSpan.FromMinutes(15) ? TimeSpan.FromMinutes(1) : span / 10;
        var ticks = (int)Math.Floor(span / tick);
        for (var i = 0; i <= ticks; i++)
        {
            var x = X(now - tick * i, now, span);
            if (i > 0)
            {
                b.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(x)}\" y1=\"{N(PlotTop)}\" x2=\"{N(x)}\" y2=\"{N(PlotTop + PlotHeight)}\" stroke=\"#eeeeee\"/>\n");
            }

            if (i % 2 == 0 || ticks <= 5)
            {
                var text = i == 0 ? "now" : "-" + DurationFormat.Compact(tick * i).Replace("m00s", "m", StringComparison.Ordinal);
                b.Append(CultureInfo.InvariantCulture,
                    $"<text class=\"time\" x=\"{N(x)}\" y=\"{N(Height - 6)}\" text-anchor=\"{(i == 0 ? "end" : i == ticks ? "start" : "middle")}\" fill=\"#555\">{E(text)}</text>\n");
            }
        }

        if (samples.Count == 0)
        {
            b.Append(CultureInfo.InvariantCulture,
                $"<text class=\"empty\" x=\"{N(PlotLeft + PlotWidth / 2)}\" y=\"{N(PlotTop + PlotHeight / 2)}\" text-anchor=\"middle\" fill=\"#888\">no samples yet</text>\n");
        }
        else
        {
            var busy = Steps(samples, s => s.Busy, now, span, top);
            var baseline = N(Y(0, top));
            b.Append(CultureInfo.InvariantCulture,
                $"<polygon class=\"series busy\" points=\"{N(X(samples[0].At, now, span))},{baseline} {busy} {N(X(samples[^1].At, now, span))},{baseline}\" fill=\"{BusyColour}\" fill-opacity=\"0.35\" stroke=\"{BusyColour}\" stroke-width=\"1\"/>\n");
            b.Append(CultureInfo.InvariantCulture,
                $"<polyline class=\"series queue\" points=\"{Steps(samples, s => s.Queue, now, span, top)}\" fill=\"none\" stroke=\"{QueueColour}\" stroke-width=\"1.5\"/>\n");
            b.Append(CultureInfo.InvariantCulture,
                $"<polyline class=\"series instances\" points=\"{Steps(samples, s => s.Instances, now, span, top)}\" fill=\"none\" stroke=\"{InstancesColour}\" stroke-width=\"2\"/>\n");
        }

        foreach (var e in history.Events.Where(e => e.At <= now && e.At >= now - span))
        {
            Mark(b, e, X(e.At, now, span));
        }

        b.Append("</svg>");
        return b.ToString();
    }

    /// <summary>Where a moment falls across the plot: now at its right edge, now − span at its left.</summary>
    public static double X(DateTimeOffset at, DateTimeOffset now, TimeSpan span) =>
        PlotLeft + Math.Clamp(1 - (now - at) / span, 0, 1) * PlotWidth;

    /// <summary>Where a value falls up the plot: 0 at its bottom, <paramref name="top"/> at its top.</summary>
    public static double Y(double value, int top) => PlotTop + PlotHeight - Math.Clamp(value / top, 0, 1) * PlotHeight;

    /// <summary>The scale's top and its step: a round step (1, 2, 5, 10, 20, 50 ...) that divides the top into at most 5 parts.</summary>
    public static (int Top, int Step) Scale(int max)
    {
        max = Math.Max(max, 1);
        var step = 1;
        for (var magnitude = 1; ; magnitude *= 10)
        {
            foreach (var m in (ReadOnlySpan<int>)[1, 2, 5])
            {
                step = m * magnitude;
                if ((max + step - 1) / step <= 5)
                {
                    return ((max + step - 1) / step * step, step);
                }
            }
        }
    }

    private static string Steps(List<HistorySample> samples, Func<HistorySample, int> value, DateTimeOffset now, TimeSpan span, int top)
    {
        var b = new StringBuilder();
        var previousX = X(samples[0].At, now, span);
        b.Append(CultureInfo.InvariantCulture, $"{N(previousX)},{N(Y(value(samples[0]), top))}");
        foreach (var s in samples.Skip(1))
        {
            var x = X(s.At, now, span);
            var y = N(Y(value(s), top));
            b.Append(CultureInfo.InvariantCulture, $" {N(previousX)},{y} {N(x)},{y}");
            previousX = x;
        }

        return b.ToString();
    }

    private static void Mark(StringBuilder b, HistoryEvent e, double x)
    {
        var (colour, shape) = e.Kind switch
        {
            HistoryEvent.Start => (StartColour, $"M{N(x)},3 L{N(x + 5)},13 L{N(x - 5)},13 Z"),
            HistoryEvent.Kill => (KillColour, $"M{N(x - 5)},3 L{N(x + 5)},3 L{N(x)},13 Z"),
            HistoryEvent.Exit => (KillColour, $"M{N(x - 4)},4 L{N(x + 4)},12 M{N(x + 4)},4 L{N(x - 4)},12"),
            _ => (StopColour, $"M{N(x - 5)},3 L{N(x + 5)},3 L{N(x)},13 Z"),
        };
        var tip = string.Create(CultureInfo.InvariantCulture, $"{e.At.UtcDateTime:HH:mm:ss} UTC {e.Kind} pid {e.Pid}: {e.Why}");
        b.Append(CultureInfo.InvariantCulture, $"<g class=\"mark {E(e.Kind)}\" data-x=\"{N(x)}\"><title>{E(tip)}</title>");
        b.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{N(x)}\" y1=\"{N(PlotTop)}\" x2=\"{N(x)}\" y2=\"{N(PlotTop + PlotHeight)}\" stroke=\"{colour}\" stroke-opacity=\"0.3\" stroke-dasharray=\"3 3\"/>");
        b.Append(e.Kind == HistoryEvent.Exit
            ? $"<path d=\"{shape}\" stroke=\"{colour}\" stroke-width=\"2\" fill=\"none\"/></g>\n"
            : $"<path d=\"{shape}\" fill=\"{colour}\"/></g>\n");
    }

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
