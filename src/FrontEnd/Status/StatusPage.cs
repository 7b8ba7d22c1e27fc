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

        var html = report is null ? Unavailable(problem!) : Render(report);
        var bytes = Encoding.UTF8.GetBytes(html);
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The page for a report (public for tests).</summary>
    public static string Render(StatusReport report)
    {
        var page = new StringBuilder();
        Head(page, "Pm status");
        page.Append("<h1>Pm</h1>\n<p class=\"meta\">");
        page.Append(CultureInfo.InvariantCulture, $"PM pid {report.Pid}, up {DurationFormat.Compact(report.Now - report.StartedAt)} &middot; config <code>{E(report.Config)}</code> &middot; IPC dir <code>{E(report.IpcDir)}</code> &middot; page served by web process {Environment.ProcessId}");
        page.Append("</p>\n");
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

        page.Append(CultureInfo.InvariantCulture, $"<code>{E(app.Name)}</code></h2>\n<dl>\n");
        Item(page, "address", $"<code>{E(app.Address)}</code>");
        if (app.Kind != "external")
        {
            Item(page, "instances", string.Create(CultureInfo.InvariantCulture, $"{app.Instances.Count} running of {app.DesiredInstances} wanted"));
            Item(page, "restarts", string.Create(CultureInfo.InvariantCulture, $"{app.Restarts} ({app.ConsecutiveFailures} failure(s) in a row)"));
        }
        else
        {
            Item(page, "instances", "not started by the PM (external)");
        }

        if (app.Requests is { } requests)
        {
            Item(page, "requests completed", requests.ToString(CultureInfo.InvariantCulture));
        }

        if (app.NextStartAt is { } next)
        {
            Item(page, "next start", "in " + DurationFormat.Compact(next - report.Now));
        }

        if (app.LastExit is { } exit)
        {
            Item(page, "last exit", string.Create(CultureInfo.InvariantCulture,
                $"pid {exit.Pid} {E(exit.How)} after {exit.LifetimeSeconds:0.###} s, {DurationFormat.Compact(report.Now - exit.At)} ago"));
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
            page.Append("<table>\n<thead><tr><th>pid</th><th>state</th><th>up</th><th>started (UTC)</th><th>requests</th></tr></thead>\n<tbody>\n");
            foreach (var instance in app.Instances)
            {
                page.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{instance.Pid}</td><td>{E(instance.State)}</td><td>{DurationFormat.Compact(report.Now - instance.StartedAt)}</td><td>{instance.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{(instance.Requests is { } r ? r.ToString(CultureInfo.InvariantCulture) : "-")}</td></tr>\n");
            }

            page.Append("</tbody>\n</table>\n");
        }

        page.Append("</section>\n");
    }

    private static string Unavailable(string problem)
    {
        var page = new StringBuilder();
        Head(page, "Pm status: the PM does not answer");
        page.Append("<h1>Pm</h1>\n<p class=\"problem\">The process manager does not answer on its control socket, so its apps cannot be listed: ");
        page.Append(E(problem));
        page.Append("</p>\n<p>Requests to the apps are still forwarded. Reload this page in a few seconds.</p>\n</body>\n</html>\n");
        return page.ToString();
    }

    private static void Head(StringBuilder page, string title)
    {
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        page.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>\n");
        page.Append("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
            h1 { margin-bottom: 0.2em; }
            .meta { color: #555; }
            .problem { color: #a00; }
            section { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1em; margin: 1em 0; }
            h2 { font-size: 1.1em; margin: 0.2em 0 0.5em; }
            .kind { display: inline-block; font-size: 0.8em; padding: 0.1em 0.5em; border-radius: 4px; background: #e8e8e8; }
            .kind.static { background: #dbeafe; } .kind.dynamic { background: #dcfce7; } .kind.external { background: #fef3c7; } .kind.web { background: #ede9fe; }
            dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; margin: 0.5em 0; }
            dt { color: #555; } dd { margin: 0; }
            table { border-collapse: collapse; margin: 0.5em 0; }
            th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; border-bottom: 1px solid #eee; }
            code { font-size: 0.95em; }
            </style>

            """);
        page.Append("</head>\n<body>\n");
    }

    private static void Item(StringBuilder page, string name, string html) =>
        page.Append(CultureInfo.InvariantCulture, $"<dt>{E(name)}</dt><dd>{html}</dd>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
