using System.Globalization;

namespace Pm.Bench.Peers;

/// <summary>
/// The figures of the peers benchmark: one row per measurement, one cell per stack (blank where the row does not
/// apply, a reason where it could not be measured), the ratios Pm / peer, and a note saying how the row was measured.
/// Printed as a Markdown table, the notes numbered under it.
/// </summary>
public sealed class PeerTable
{
    public const int Pm = 0;
    public const int Nginx = 1;
    public const int Fcgid = 2;
    public const int PhpFpm = 3;

    private static readonly string[] Columns = ["pm serve", "nginx → same pool under pm run", "mod_fcgid (apache2)", "php-fpm ondemand"];
    private readonly List<(string Label, string?[] Cells, string Ratios, string Note)> rows = [];

    public static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Ratio(double ours, double theirs) =>
        double.IsFinite(ours) && double.IsFinite(theirs) && theirs != 0 ? (ours / theirs).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>Median [min–max] in ms.</summary>
    public static string Spread(IReadOnlyList<double> values) => values.Count == 0 ? "n/a"
        : $"{Ms(Median(values))} [{Ms(values.Min())}–{Ms(values.Max())}]";

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public void Add(string label, string?[] cells, string ratios, string note)
    {
        if (cells.Length != Columns.Length)
        {
            throw new ArgumentException($"a row has {Columns.Length} cells", nameof(cells));
        }

        rows.Add((label, cells, ratios, note));
    }

    public void Print(TextWriter output)
    {
        output.WriteLine($"| row | {string.Join(" | ", Columns)} | Pm / peer |");
        output.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---|", Columns.Length))}---|");
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, cells, ratios, _) = rows[i];
            output.WriteLine($"| {label} [{i + 1}] | {string.Join(" | ", cells.Select(c => c ?? ""))} | {ratios} |");
        }

        output.WriteLine();
        for (var i = 0; i < rows.Count; i++)
        {
            output.WriteLine($"[{i + 1}] {rows[i].Note}");
        }
    }
}
