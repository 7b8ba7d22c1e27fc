using System.Globalization;
using System.Text;

namespace Pm.Status;

/// <summary>
/// A status report in Prometheus' text exposition format (version 0.0.4), as the web processes serve it at
/// /metrics: the PM's own CPU and memory; per app its instances by state, desired instances, restarts, failures in a
/// row, requests (ended and in flight), the queue-wait and service-time histograms, the accept queue now and its
/// most, spawns and kills by reason, the policy's decisions, "max instances reached" and slow requests; per instance
/// its requests and memory. Names follow Prometheus' conventions: the pm_ prefix, _total for counters, _seconds and
/// _bytes for units; a figure not known is left out, never written as 0.
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
        if (report.CpuSeconds is { } cpu)
        {
            Metric(b, "pm_process_cpu_seconds_total", "counter", "CPU time (user and system) the PM process has used.");
            b.Append("pm_process_cpu_seconds_total ").Append(Number(cpu)).Append('\n');
        }

        if (report.RssBytes is { } rss)
        {
            Metric(b, "pm_process_resident_memory_bytes", "gauge", "The PM process's resident memory.");
            b.Append("pm_process_resident_memory_bytes ").Append(Number(rss)).Append('\n');
        }

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
        Family(b, apps.Where(a => a.InFlight is not null), "pm_app_requests_in_flight", "gauge", "Requests the web processes are forwarding to the app now.", a => a.InFlight!.Value);
        Family(b, apps.Where(a => a.AcceptQueue is not null), "pm_app_accept_queue_connections", "gauge",
            "Connections waiting in the app's accept queue (the kernel's backlog of its socket).", a => a.AcceptQueue!.Value);
        Family(b, apps.Where(a => a.AcceptQueueMax is not null), "pm_app_accept_queue_max_connections", "gauge",
            "The longest the app's accept queue was seen since the PM started (sampled every second and at each report).", a => a.AcceptQueueMax!.Value);
        Family(b, apps.Where(a => a.MaxInstancesReached is not null), "pm_app_max_instances_reached_total", "counter",
            "Times the app's policy wanted more instances than maxClassProcesses or maxProcesses let start (each stretch once).", a => a.MaxInstancesReached!.Value);
        Family(b, apps, "pm_app_slow_requests_total", "counter", "Requests of the app that ran past -slow-log.", a => a.SlowRequests);
        Histogram(b, apps, "pm_app_queue_wait_seconds", "From a request's arrival at a web process until it had a connection to the app.", a => a.QueueWait);
        Histogram(b, apps, "pm_app_service_time_seconds", "From the connection to the app until the end of the answer.", a => a.ServiceTime);
        Reasons(b, apps, "pm_app_spawns_total", "reason", "Instances of the app started, by why.", a => a.Spawns);
        Reasons(b, apps, "pm_app_kills_total", "reason", "Instances of the app stopped by the PM, by why.", a => a.Kills);
        Reasons(b, apps, "pm_app_policy_decisions_total", "decision", "The scaling policy's decisions applied to the app, by kind.", a => a.Decisions);

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

    /// <summary>A histogram family: cumulative _bucket samples with their le, +Inf, _sum and _count, per app.</summary>
    private static void Histogram(StringBuilder b, IEnumerable<AppStatus> apps, string name, string help, Func<AppStatus, HistogramReport?> histogram)
    {
        Metric(b, name, "histogram", help);
        foreach (var app in apps)
        {
            if (histogram(app) is not { } h)
            {
                continue;
            }

            for (var i = 0; i < h.Cumulative.Count; i++)
            {
                var le = i < h.Bounds.Count ? Number(h.Bounds[i]) : "+Inf";
                Sample(b, name + "_bucket", h.Cumulative[i], ("app", app.Name), ("kind", app.Kind), ("le", le));
            }

            Sample(b, name + "_sum", h.SumSeconds, ("app", app.Name), ("kind", app.Kind));
            Sample(b, name + "_count", h.Count, ("app", app.Name), ("kind", app.Kind));
        }
    }

    /// <summary>A counter family with one more label (why, which kind) per app.</summary>
    private static void Reasons(StringBuilder b, IEnumerable<AppStatus> apps, string name, string label, string help, Func<AppStatus, IReadOnlyDictionary<string, long>?> counts)
    {
        Metric(b, name, "counter", help);
        foreach (var app in apps)
        {
            foreach (var (key, count) in (counts(app) ?? new Dictionary<string, long>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                Sample(b, name, count, ("app", app.Name), ("kind", app.Kind), (label, key));
            }
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
