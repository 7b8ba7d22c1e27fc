using System.Globalization;
using Pm.Shared;

namespace Pm.Simulation;

/// <summary>Prints reports as an aligned table, one row per policy, for the console.</summary>
public static class SimulationReportPrinter
{
    private static readonly string[] Headers =
        ["policy", "requests", "rejected", "p50 wait", "p99 wait", "max wait", "instance-s", "spawns", "kills", "max inst"];

    public static void Print(TextWriter writer, IReadOnlyList<PolicyRunReport> reports)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reports);
        var rows = new List<string[]> { Headers };
        foreach (var r in reports)
        {
            rows.Add(
            [
                r.Label,
                Int(r.Requests),
                Int(r.Rejected) + (r.Unfinished > 0 ? $" (+{Int(r.Unfinished)} unfinished)" : string.Empty),
                Seconds(r.P50Wait),
                Seconds(r.P99Wait),
                Seconds(r.MaxWait),
                r.InstanceSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                Int(r.Spawns),
                Int(r.Kills),
                Int(r.MaxInstances),
            ]);
        }

        var widths = new int[Headers.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            writer.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => DurationFormat.SecondsFixed(value);
}
