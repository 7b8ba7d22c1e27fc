using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pm.Config;
using Pm.Control;
using Pm.Status;

using Pm.Shared;

namespace Pm.FrontEnd.Status;

/// <summary>
/// The status page of the web processes (at "/" of PmStatusListen, or PmStatusPage's path; and at ".../metrics" the same report for Prometheus, <see cref="PrometheusText"/>): every app the PM runs or knows (kind, address, URL), its instances (pid,
/// state, uptime), restarts, last exit, and for dynamic apps the policy's last decision and load figures. Asked of
/// the PM over its control socket at each view; valid HTML with no external assets. When the PM does not answer,
/// the page says so with 503.
/// </summary>
public sealed class StatusPage : IStatusPage
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(2);

    private readonly string _controlSocket;

    public StatusPage(PmConfig config)
    {
        _controlSocket = IpcLayout.ControlSocket(config.IpcDir);
    }

    public async Task WriteAsync(HttpContext context, bool metrics)
    {
        StatusReport? report = null;
        string? problem = null;
        try
        {
            var json = await ControlClient.SendAsync(_controlSocket, "status", QueryTimeout).ConfigureAwait(false);
            report = JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport);
            problem = report is null ? "the PM sent an empty status" : null;
        }
        catch (Exception e) when (e is IOException or JsonException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            problem = e is OperationCanceledException ? $"no answer within {DurationFormat.Seconds(QueryTimeout, 0)} on {_controlSocket}" : e.Message;
        }

        var response = context.Response;
        response.StatusCode = report is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        if (report is null)
        {
            response.Headers.RetryAfter = "5";
        }

        if (context.Request.QueryString.Value == "?json" && report is not null)
        {
            // The report as `pm status --json` gives it, for scripts that reach only the HTTP listener.
            response.ContentType = "application/json; charset=utf-8";
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(report, StatusJsonContext.Default.StatusReport));
            response.ContentLength = json.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        if (metrics)
        {
            // Prometheus: the same report as its text format; a PM that does not answer is a failed scrape (503).
            response.ContentType = report is null ? "text/plain; charset=utf-8" : PrometheusText.ContentType;
            var text = Encoding.UTF8.GetBytes(report is null ? $"the PM does not answer: {problem}\n" : PrometheusText.Render(report));
            response.ContentLength = text.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        var (refresh, refreshProblem) = Refresh.FromQuery(context.Request.Query["refresh"]);
        var html = report is null ? Unavailable(problem!, refresh) : Render(report, refresh, refreshProblem);
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The page for a report, refreshing itself every <paramref name="refreshSeconds"/> (null: never); public for tests.</summary>
    public static string Render(StatusReport report, int? refreshSeconds = Refresh.DefaultSeconds, string? refreshProblem = null)
    {
        var page = new StringBuilder();
        Head(page, "Pm status", refreshSeconds);
        var live = report.Apps.SelectMany(a => a.Instances).ToList();
        page.Append("<header>\n<h1>Pm</h1>\n<p class=\"meta\">");
        page.Append(CultureInfo.InvariantCulture, $"PM pid {report.Pid}, up {DurationFormat.Compact(report.Now - report.StartedAt)} &middot; {report.Apps.Count} app(s), {live.Count} instance(s), {live.Count(i => i.State == "busy")} busy &middot; config <code>{E(report.Config)}</code> &middot; IPC dir <code>{E(report.IpcDir)}</code> &middot; page served by web process {Environment.ProcessId}");
        page.Append("</p>\n<p class=\"meta\">");
        page.Append(CultureInfo.InvariantCulture, $"{report.Now.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC &middot; ");
        page.Append(refreshSeconds is { } every
            ? string.Create(CultureInfo.InvariantCulture, $"refreshes every {every} s (<a href=\"?refresh=none\">stop</a>, <a href=\"?refresh=30\">every 30 s</a>)")
            : $"does not refresh itself (<a href=\"?refresh={Refresh.DefaultSeconds}\">every {Refresh.DefaultSeconds} s</a>)");
        page.Append(" &middot; <a href=\"?json\">JSON</a>");
        if (refreshProblem is not null)
        {
            page.Append(" &middot; <span class=\"problem\">").Append(E(refreshProblem)).Append("</span>");
        }

        page.Append("</p>\n</header>\n");
        if (report.Apps.Count == 0)
        {
            page.Append("<p>No apps are configured.</p>\n");
        }

        foreach (var app in report.Apps)
        {
            App(page, report, app);
        }

        page.Append("</body>\n</html>\n");
        return page.ToString();
    }

    private static void App(StringBuilder page, StatusReport report, AppStatus app)
    {
        page.Append("<section>\n<h2>");
        page.Append(CultureInfo.InvariantCulture, $"<span class=\"kind {E(app.Kind)}\">{E(app.Kind)}</span> ");
        if (app.Url is { } url && app.Kind != "web")
        {
            page.Append(CultureInfo.InvariantCulture, $"<a href=\"{E(url)}\">{E(url)}</a> ");
        }

        page.Append(CultureInfo.InvariantCulture, $"<code>{E(app.Name)}</code></h2>\n");
        if (app.Kind == "external")
        {
            page.Append("<dl>\n");
            Item(page, "address", $"<code>{E(app.Address)}</code>");
            Item(page, "instances", "not started by the PM (external)");
            page.Append("</dl>\n</section>\n");
            return;
        }

        // The chart with the short figures beside it, then the longer lines (address, exits, the policy's words) under both.
        page.Append("<div class=\"app\">\n");
        if (app.History is { } history)
        {
            page.Append("<figure>\n");
            page.Append(HistoryChart.Svg(history, report.Now, $"{app.Name}: instances, busy and accept queue over the last {Span(history)}"));
            page.Append(CultureInfo.InvariantCulture, $"""

                <figcaption><span class="key" style="background:{HistoryChart.InstancesColour}"></span>instances <span class="key" style="background:{HistoryChart.BusyColour}"></span>busy <span class="key" style="background:{HistoryChart.QueueColour}"></span>accept queue &middot; <span class="start">&#9650;</span> start <span class="stop">&#9660;</span> stop <span class="kill">&#9660;</span> kill <span class="kill">&#10005;</span> exit (hover: why) &middot; last {Span(history)}, a sample per {history.SampleSeconds:0.#} s</figcaption>
                </figure>

                """);
        }

        page.Append("<dl class=\"figures\">\n");
        var busy = app.Instances.Count(i => i.State == "busy");
        Item(page, "instances", string.Create(CultureInfo.InvariantCulture, $"{app.Instances.Count} running of {app.DesiredInstances} wanted"));
        Item(page, "busy", busy.ToString(CultureInfo.InvariantCulture));
        Item(page, "accept queue", $"{Count(app.AcceptQueue)} now, {Count(app.AcceptQueueMax)} at most");
        Item(page, "in flight", Count(app.InFlight));
        Item(page, "max instances reached", Count(app.MaxInstancesReached));
        Item(page, "slow requests", Count(app.SlowRequests));
        Item(page, "requests completed", Count(app.Requests));
        Item(page, "restarts", string.Create(CultureInfo.InvariantCulture, $"{app.Restarts}, {app.ConsecutiveFailures} failure(s) in a row"));
        if (app.NextStartAt is { } next)
        {
            Item(page, "next start", "in " + DurationFormat.Compact(next - report.Now));
        }

        page.Append("</dl>\n</div>\n<dl>\n");
        Item(page, "address", $"<code>{E(app.Address)}</code>");
        if (app.LastExit is { } exit)
        {
            Item(page, "last exit", string.Create(CultureInfo.InvariantCulture,
                $"pid {exit.Pid} {E(exit.How)} after {exit.LifetimeSeconds:0.###} s, {DurationFormat.Compact(report.Now - exit.At)} ago"));
        }

        if (app.LastKill is { } kill)
        {
            Item(page, "last kill", string.Create(CultureInfo.InvariantCulture,
                $"pid {kill.Pid}, {DurationFormat.Compact(report.Now - kill.At)} ago: {E(kill.Reason)}") + (kill.Diagnosis is { } d ? $"<br><span class=\"meta\">{E(d)}</span>" : ""));
        }

        if (app.Policy is { } policy)
        {
            Item(page, "policy", E(policy) + (app.LoadSummary is { } summary ? ": " + E(summary) : string.Empty));
        }

        if (app.LastDecision is { } decision)
        {
            Item(page, "last decision", E(decision));
        }

        if (app.Load is { Count: > 0 } load)
        {
            var figures = string.Join(", ", load.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{E(kv.Key)} {kv.Value:0.###}")));
            Item(page, "load", figures);
        }

        page.Append("</dl>\n");
        if (app.Instances.Count > 0)
        {
            page.Append("<table>\n<thead><tr><th>pid</th><th>state</th><th>request</th><th class=\"n\">for</th><th class=\"n\">requests</th><th class=\"n\">CPU</th><th class=\"n\">CPU %</th><th class=\"n\">private</th><th class=\"n\">up</th><th>note</th></tr></thead>\n<tbody>\n");
            foreach (var instance in app.Instances)
            {
                Instance(page, report.Now, instance);
            }

            page.Append("</tbody>\n</table>\n");
        }

        page.Append("</section>\n");
    }

    private static void Instance(StringBuilder page, DateTimeOffset now, InstanceStatus i)
    {
        var request = i.Request is { } held ? $"<code title=\"{E(held.Uri)}\">{E(held.Method)} {E(Shorten(held.Uri, 60))}</code>" : "-";
        var since = i.Request?.Since ?? i.BusySince;
        page.Append(CultureInfo.InvariantCulture, $"<tr><td>{i.Pid}</td><td>{E(i.State)}</td><td>{request}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(since is { } s ? DurationFormat.Compact(now - s, 1) : "-")}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{Count(i.Requests)}{(i.RequestLimit is { } limit ? $" / {limit}" : "")}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(i.CpuSeconds is { } cpu ? cpu.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-")}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(i.CpuPercent is { } pct ? pct.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "-")}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(i.PrivateBytes is { } bytes ? Size(bytes) : "-")}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" title=\"started {i.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\">{DurationFormat.Compact(now - i.StartedAt)}</td>");
        page.Append(CultureInfo.InvariantCulture, $"<td>{(i.Note is { } note ? E(note) : "")}</td></tr>\n");
    }

    private static string Unavailable(string problem, int? refreshSeconds)
    {
        var page = new StringBuilder();
        Head(page, "Pm status: the PM does not answer", refreshSeconds);
        page.Append("<h1>Pm</h1>\n<p class=\"problem\">The process manager does not answer on its control socket, so its apps cannot be listed: ");
        page.Append(E(problem));
        page.Append("</p>\n<p>Requests to the apps are still forwarded. Reload this page in a few seconds.</p>\n</body>\n</html>\n");
        return page.ToString();
    }

    private static void Head(StringBuilder page, string title, int? refreshSeconds)
    {
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (refreshSeconds is { } every)
        {
            page.Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{every}\">\n");
        }

        page.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>\n");
        page.Append("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 76em; padding: 0 1em; color: #222; font-size: 15px; }
            h1 { margin: 0 0 0.2em; }
            .meta { color: #555; margin: 0.2em 0; }
            .problem { color: #a00; }
            section { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1em; margin: 1em 0; }
            h2 { font-size: 1.1em; margin: 0.2em 0 0.5em; }
            .kind { display: inline-block; font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 4px; background: #e8e8e8; }
            .kind.static { background: #dbeafe; } .kind.dynamic { background: #dcfce7; } .kind.external { background: #fef3c7; } .kind.web { background: #ede9fe; }
            .app { display: flex; flex-wrap: wrap; gap: 0.5em 2em; align-items: flex-start; }
            dl { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; margin: 0.3em 0; }
            dl.figures { flex: 1 1 16em; margin-top: 1em; }
            dt { color: #555; } dd { margin: 0; overflow-wrap: anywhere; }
            figure { margin: 0.3em 0; flex: 0 1 auto; }
            svg.chart { max-width: 100%; height: auto; display: block; }
            figcaption { font-size: 0.85em; color: #555; }
            .key { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.3em 0 0.6em; vertical-align: baseline; border-radius: 2px; }
            .start { color: #16a34a; } .stop { color: #6b7280; } .kill { color: #dc2626; }
            table { border-collapse: collapse; margin: 0.5em 0; width: 100%; font-size: 0.93em; }
            th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; border-bottom: 1px solid #eee; white-space: nowrap; }
            th { color: #555; font-weight: 600; }
            td:last-child { white-space: normal; }
            .n { text-align: right; font-variant-numeric: tabular-nums; }
            code { font-size: 0.95em; }
            </style>

            """);
        page.Append("</head>\n<body>\n");
    }

    /// <summary>"10 min" for a span of whole minutes, else as an uptime reads.</summary>
    private static string Span(AppHistoryReport history)
    {
        var span = TimeSpan.FromSeconds(history.SpanSeconds);
        return span.TotalMinutes >= 1 && span.Seconds == 0 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min") : DurationFormat.Compact(span);
    }

    private static string Count(long? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-";

    private static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

    /// <summary>Binary units as ps and the kernel write them ("640 kB" is KiB), as `pm status` prints memory.</summary>
    private static string Size(long bytes)
    {
        ReadOnlySpan<string> units = ["B", "kB", "MB", "GB", "TB"];
        var value = (double)bytes;
        var unit = 0;
        while (unit < units.Length - 1 && value >= 1024)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : value.ToString(value < 9.95 ? "0.0" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static void Item(StringBuilder page, string name, string html) =>
        page.Append(CultureInfo.InvariantCulture, $"<dt>{E(name)}</dt><dd>{html}</dd>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
