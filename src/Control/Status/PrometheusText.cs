using System.Globalization;
using System.Text;

namespace Pm.Status;

/// <summary>
/// A status report in Prometheus' text exposition format (version 0.0.4), as the web processes serve it at
/// /metrics: per app its instances by state, desired instances, restarts, failures in a row, requests and accept
/// queue where known; per instance its requests and memory. Names follow Prometheus' conventions: the pm_ prefix,
/// _total for counters, _seconds and _bytes for units.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] States = ["starting", "idle", "busy", "stopping"];

    public static string Render(StatusReport report)
    {
        var b = new StringBuilder();
        Metric(b, "pm_up", "gauge", "1 while the PM answers its control socket.");
        b.Append("pm_up 1\n");
        Metric(b, "pm_uptime_seconds", "gauge", "Seconds since the PM started.");
        b.Append("pm_uptime_seconds ").Append(Number((report.Now - report.StartedAt).TotalSeconds)).Append('\n');

        var apps = report.Apps.Where(a => a.Kind != "external").ToList();
        Metric(b, "pm_app_instances", "gauge", "Live instances of an app, by state.");
        foreach (var app in apps)
        {
            foreach (var state in States)
            {
                Sample(b, "pm_app_instances", app.Instances.Count(i => i.State == state), ("app", app.Name), ("kind", app.Kind), ("state", state));
            }
        }

        Family(b, apps, "pm_app_desired_instances", "gauge", "Instances the app should have (-processes, or the policy's count).", a => a.DesiredInstances);
        Family(b, apps, "pm_app_restarts_total", "counter", "Instances of the app restarted (static) or started again.", a => a.Restarts);
        Family(b, apps, "pm_app_consecutive_failures", "gauge", "Failures in a row of the app's instances (the restart backoff's count).", a => a.ConsecutiveFailures);
        Family(b, apps.Where(a => a.Requests is not null), "pm_app_requests_total", "counter", "Requests the web processes completed for the app.", a => a.Requests!.Value);
        Family(b, apps.Where(a => a.Load?.ContainsKey("queuedConnections") == true), "pm_app_queued_connections", "gauge",
            "Connections waiting in the app's accept queue.", a => a.Load!["queuedConnections"]);

        Metric(b, "pm_instance_requests_total", "counter", "Connections (requests) an instance has taken, counted by libpm-shim.so.");
        foreach (var app in apps)
        {
            foreach (var i in app.Instances.Where(i => i.Requests is not null))
            {
                Sample(b, "pm_instance_requests_total", i.Requests!.Value, ("app", app.Name), ("pid", Number(i.Pid)));
            }
        }

        Metric(b, "pm_instance_memory_bytes", "gauge", "An instance's memory summed over its process group: rss, pss, or private (USS, what -memory-limit judges).");
        foreach (var app in apps)
        {
            foreach (var i in app.Instances)
            {
                foreach (var (type, bytes) in new[] { ("rss", i.RssBytes), ("pss", i.PssBytes), ("private", i.PrivateBytes) })
                {
                    if (bytes is { } value)
                    {
                        Sample(b, "pm_instance_memory_bytes", value, ("app", app.Name), ("pid", Number(i.Pid)), ("type", type));
                    }
                }
            }
        }

        return b.ToString();
    }

    private static void Family(StringBuilder b, IEnumerable<AppStatus> apps, string name, string type, string help, Func<AppStatus, double> value)
    {
        Metric(b, name, type, help);
        foreach (var app in apps)
        {
            Sample(b, name, value(app), ("app", app.Name), ("kind", app.Kind));
        }
    }

    private static void Metric(StringBuilder b, string name, string type, string help) =>
        b.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder b, string name, double value, params (string Name, string Value)[] labels)
    {
        b.Append(name).Append('{');
        for (var i = 0; i < labels.Length; i++)
        {
            b.Append(i == 0 ? "" : ",").Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
        }

        b.Append("} ").Append(Number(value)).Append('\n');
    }

    /// <summary>A label value as the format wants it: backslash, double quote and newline escaped.</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
