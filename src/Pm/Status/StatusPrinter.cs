using System.Globalization;
using System.Text;

using Pm.Shared;

namespace Pm.Status;

/// <summary>The human-readable form of a <see cref="StatusReport"/>.</summary>
public static class StatusPrinter
{
    public static string Format(StatusReport report)
    {
        var sb = new StringBuilder();
        var up = report.Now - report.StartedAt;
        sb.AppendLine(CultureInfo.InvariantCulture, $"pm pid {report.Pid}, up {DurationFormat.Compact(up, 1)}, config {report.Config}, ipc dir {report.IpcDir}");
        foreach (var app in report.Apps)
        {
            sb.AppendLine();
            sb.Append(CultureInfo.InvariantCulture, $"{app.Kind} {app.Name}  at {app.Address}");
            if (app.Url is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  url {app.Url}");
            }

            sb.AppendLine();
            if (app.Kind != "external")
            {
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"  instances {app.Instances.Count}/{app.DesiredInstances}, restarts {app.Restarts}, failures in a row {app.ConsecutiveFailures}");
                if (app.Requests is { } r)
                {
                    line += string.Create(CultureInfo.InvariantCulture, $", requests {r}");
                }

                if (app.NextStartAt is { } next)
                {
                    line += $", next start in {DurationFormat.Compact(next - report.Now, 1)}";
                }

                sb.AppendLine(line);
                var traffic = Traffic(app);
                if (traffic.Length > 0)
                {
                    sb.AppendLine("  " + traffic);
                }
            }

            if (app.LastExit is { } exit)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"  last exit: pid {exit.Pid} {exit.How} after {exit.LifetimeSeconds:0.###} s, {DurationFormat.Compact(report.Now - exit.At, 1)} ago");
            }

            if (app.LastKill is { } kill)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"  last kill: pid {kill.Pid}, {DurationFormat.Compact(report.Now - kill.At, 1)} ago: {kill.Reason}");
                if (kill.Diagnosis is not null)
                {
                    sb.AppendLine("    " + kill.Diagnosis);
                }
            }

            if (app.Policy is not null)
            {
                sb.AppendLine($"  policy {app.Policy}" + (app.LoadSummary is null ? "" : ": " + app.LoadSummary));
            }

            if (app.Load is { Count: > 0 } load)
            {
                sb.AppendLine("  load: " + string.Join(", ", load.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.###}"))));
            }

            if (app.LastDecision is not null)
            {
                sb.AppendLine("  last decision: " + app.LastDecision);
            }

            if (app.Instances.Count > 0)
            {
                sb.AppendLine("  PID      STATE          STARTED                   UP        REQUESTS     CPU      RSS      PSS      PRIVATE");
                foreach (var i in app.Instances)
                {
                    var state = i.BusySince is { } busy ? $"{i.State} {DurationFormat.Compact(report.Now - busy, 1)}" : i.State;
                    var requests = (i.Requests?.ToString(CultureInfo.InvariantCulture) ?? "-") +
                        (i.RequestLimit is { } limit ? "/" + limit.ToString(CultureInfo.InvariantCulture) : "");
                    var line = string.Create(CultureInfo.InvariantCulture,
                        $"  {i.Pid,-8} {state,-14} {i.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss.fff}   {DurationFormat.Compact(report.Now - i.StartedAt, 1),-9} {requests,-12} {Cpu(i.CpuSeconds),-8} {Size(i.RssBytes),-8} {Size(i.PssBytes),-8} {Size(i.PrivateBytes)}");
                    sb.AppendLine(i.Note is null ? line : line + "  (" + i.Note + ")");
                    if (i.Request is { } held)
                    {
                        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                            $"           holding {held.Method} {held.Uri} for {DurationFormat.Compact(report.Now - held.Since, 1)}"));
                    }
                }
            }
        }

        return sb.ToString();
    }

    private static string Size(long? bytes) => bytes is { } b ? Diagnosis.MemoryUsage.Size(b) : "-";

    private static string Cpu(double? seconds) => seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:0.00}s") : "-";

    /// <summary>What the web processes and the kernel say of the app's traffic: only the figures that are known.</summary>
    internal static string Traffic(AppStatus app)
    {
        var parts = new List<string>();
        if (app.InFlight is { } inFlight)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"in flight {inFlight}"));
        }

        if (app.AcceptQueue is { } queue)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"accept queue {queue}")
                + (app.AcceptQueueMax is { } max ? string.Create(CultureInfo.InvariantCulture, $" (at most {max})") : ""));
        }

        if (app.SlowRequests > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"slow requests {app.SlowRequests}"));
        }

        if (app.MaxInstancesReached is { } reached)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"max instances reached {reached}"));
        }

        return string.Join(", ", parts);
    }
}
