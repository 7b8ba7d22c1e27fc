namespace Pm.Status;

/// <summary>
/// A histogram as Prometheus has it: the upper bounds in seconds, the count of observations at or below each bound
/// (cumulative) and then the count of all (+Inf, = <see cref="Count"/>), and the sum of the observations in seconds.
/// </summary>
public sealed record HistogramReport(IReadOnlyList<double> Bounds, IReadOnlyList<long> Cumulative, double SumSeconds, long Count)
{
    /// <summary>From buckets that each count their own range (the last one past the last bound), as the scoreboard keeps them.</summary>
    public static HistogramReport FromBuckets(IReadOnlyList<double> bounds, IReadOnlyList<long> buckets, double sumSeconds)
    {
        var cumulative = new long[buckets.Count];
        long total = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            total += buckets[i];
            cumulative[i] = total;
        }

        return new HistogramReport(bounds, cumulative, sumSeconds, total);
    }
}
