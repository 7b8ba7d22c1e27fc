using System.Globalization;
using System.Security;
using System.Text;
using Pm.Shared;

namespace Pm.Simulation;

/// <summary>
/// Draws instances (top panel) and queue length (bottom panel) over time, one line per policy run, as a standalone
/// SVG file. Hand-written SVG: no dependency, opens in any browser.
/// </summary>
public static class SvgChart
{
    private const int Width = 960;
    private const int PanelHeight = 200;
    private const int Left = 64;
    private const int Right = 24;
    private const int LegendLine = 16;
    private const int Gap = 64;
    private const int Bottom = 48;

    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    public static void WriteFile(string path, IReadOnlyList<PolicyRunReport> reports, string? title = null)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        Write(writer, reports, title);
    }

    public static void Write(TextWriter writer, IReadOnlyList<PolicyRunReport> reports, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reports);
        // One legend line per run under the title, then the two panels.
        var top = 48 + (LegendLine * reports.Count) + 16;
        var height = top + PanelHeight + Gap + PanelHeight + Bottom;
        var duration = reports.Count == 0 ? 1 : reports.Max(r => r.Timeline.Duration.TotalSeconds);
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Inv($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Inv($"<text x=\"{Left}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{Escape(title ?? "pm simulate")}</text>\n"));
        Legend(svg, reports);
        Panel(svg, reports, top, duration, "instances", r => r.Timeline.Instances, showTimeAxis: false);
        Panel(svg, reports, top + PanelHeight + Gap, duration, "queue length", r => r.Timeline.Queue, showTimeAxis: true);
        svg.Append("</svg>\n");
        writer.Write(svg.ToString());
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<PolicyRunReport> reports)
    {
        for (var i = 0; i < reports.Count; i++)
        {
            var r = reports[i];
            var y = 40 + (LegendLine * i);
            var text = Inv($"{r.Label}: p50 wait {DurationFormat.SecondsFixed(r.P50Wait)}, p99 wait {DurationFormat.SecondsFixed(r.P99Wait)}, {r.Rejected} rejected, {r.InstanceSeconds:0} instance-s, {r.Spawns} spawns, {r.Kills} kills");
            svg.Append(Inv($"<rect x=\"{Left}\" y=\"{y - 6}\" width=\"14\" height=\"4\" fill=\"{Color(i)}\"/>\n"));
            svg.Append(Inv($"<text x=\"{Left + 20}\" y=\"{y}\">{Escape(text)}</text>\n"));
        }
    }

    private static void Panel(
        StringBuilder svg, IReadOnlyList<PolicyRunReport> reports, int top, double duration, string name,
        Func<PolicyRunReport, IReadOnlyList<int>> series, bool showTimeAxis)
    {
        var plotWidth = Width - Left - Right;
        var max = Math.Max(1, reports.Count == 0 ? 1 : reports.Max(r => series(r).DefaultIfEmpty(0).Max()));
        var (yMax, yStep) = NiceScale(max, whole: true);
        var (_, xStep) = NiceScale(duration);

        svg.Append(Inv($"<text x=\"{Left}\" y=\"{top - 8}\" font-weight=\"bold\">{Escape(name)}</text>\n"));
        svg.Append(Inv($"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#999\"/>\n"));
        for (var v = 0.0; v <= yMax + 1e-9; v += yStep)
        {
            var y = top + PanelHeight - (v / yMax * PanelHeight);
            svg.Append(Inv($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>\n"));
            svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{v:0.##}</text>\n"));
        }

        for (var t = 0.0; t <= duration + 1e-9; t += xStep)
        {
            var x = Left + (t / duration * plotWidth);
            svg.Append(Inv($"<line x1=\"{x:0.#}\" y1=\"{top}\" x2=\"{x:0.#}\" y2=\"{top + PanelHeight}\" stroke=\"#eee\"/>\n"));
            if (showTimeAxis)
            {
                svg.Append(Inv($"<text x=\"{x:0.#}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">{t:0.##}</text>\n"));
            }
        }

        if (showTimeAxis)
        {
            svg.Append(Inv($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{top + PanelHeight + 36}\" text-anchor=\"middle\">seconds</text>\n"));
        }

        for (var i = 0; i < reports.Count; i++)
        {
            var values = series(reports[i]);
            var width = reports[i].Timeline.BucketWidth.TotalSeconds;
            var points = new StringBuilder();
            for (var b = 0; b < values.Count; b++)
            {
                var y = top + PanelHeight - (values[b] / yMax * PanelHeight);
                var x0 = Left + (b * width / duration * plotWidth);
                var x1 = Left + ((b + 1) * width / duration * plotWidth);
                points.Append(Inv($"{x0:0.#},{y:0.#} {x1:0.#},{y:0.#} "));
            }

            svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{Color(i)}\" stroke-width=\"1.5\" points=\"{points.ToString().TrimEnd()}\"/>\n"));
        }
    }

    // An axis maximum and a step of 1, 2 or 5 times a power of ten, about five steps; whole steps for counts.
    private static (double Max, double Step) NiceScale(double max, bool whole = false)
    {
        var rough = Math.Max(max, 1e-9) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var normalized = rough / magnitude;
        var factor = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
        var step = factor * magnitude;
        if (whole)
        {
            step = Math.Max(1, Math.Round(step));
        }

        return (Math.Ceiling(max / step) * step, step);
    }

    private static string Color(int index) => Colors[index % Colors.Length];

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
