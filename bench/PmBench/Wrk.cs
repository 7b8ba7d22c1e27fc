using System.Diagnostics;
using System.Globalization;
using Pm.Bench.Peers;
using System.Text.RegularExpressions;

namespace Pm.Bench;

/// <summary>
/// One run of wrk (closed loop, keep-alive connections, at most 2 threads: the machines these run on have 2 cores)
/// and what the benchmarks read from its output: requests/s, requests, p50 and p99 from <c>--latency</c>, and the
/// line that reports errors or non-2xx answers, if any.
/// </summary>
public static partial class Wrk
{
    public const string Path = "/usr/bin/wrk";

    public sealed record Result(double Rps, long Requests, double P50, double P99, string? Errors, string Command);

    public static async Task<Result> RunAsync(string url, int connections, int seconds, CancellationToken cancel = default)
    {
        string[] args = [$"-t{Math.Min(2, connections)}", $"-c{connections}", $"-d{seconds}s", "--latency", url];
        using var wrk = Process.Start(new ProcessStartInfo(Path, args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string output;
        try
        {
            output = await wrk.StandardOutput.ReadToEndAsync(cancel);
            await wrk.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            wrk.Kill();
            throw;
        }

        var errors = NonSuccess().Matches(output).Select(m => m.Value.Trim()).ToList();
        return new Result(
            double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Latency(output, "50%"),
            Latency(output, "99%"),
            errors.Count == 0 ? null : string.Join("; ", errors),
            "wrk " + string.Join(' ', args));
    }

    /// <summary>The median req/s and the median p99 of the runs (each taken on its own), with the runs' requests and errors summed.</summary>
    public static Result Median(IReadOnlyList<Result> runs)
    {
        var errors = runs.Where(r => r.Errors is not null).Select(r => r.Errors!).ToList();
        return new Result(PeerTable.Median([.. runs.Select(r => r.Rps)]), runs.Sum(r => r.Requests), PeerTable.Median([.. runs.Select(r => r.P50)]),
            PeerTable.Median([.. runs.Select(r => r.P99)]), errors.Count == 0 ? null : string.Join("; ", errors), runs[0].Command);
    }

    /// <summary>wrk prints "50%  123.00us" (or ms, s) in its latency distribution; in milliseconds.</summary>
    private static double Latency(string wrkOutput, string percentile)
    {
        var m = Regex.Match(wrkOutput, $@"^\s*{Regex.Escape(percentile)}\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses: \d+|Socket errors:.*")]
    private static partial Regex NonSuccess();
}
