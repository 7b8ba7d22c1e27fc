namespace Pm.Scoreboard;

/// <summary>One app's figures from the scoreboards, summed over web processes: requests ended, in flight, and the two histograms' buckets (each its own range, not cumulative).</summary>
public sealed class AppScores
{
    public long Requests { get; set; }

    public long InFlight { get; set; }

    public long[] QueueWaitBuckets { get; } = new long[ScoreboardLayout.Buckets];

    public long QueueWaitNanoseconds { get; set; }

    public long QueueWaitCount { get; set; }

    public long[] ServiceBuckets { get; } = new long[ScoreboardLayout.Buckets];

    public long ServiceNanoseconds { get; set; }

    public long ServiceCount { get; set; }

    /// <summary>Adds <paramref name="other"/>'s counters (not its in-flight requests: a dead web process holds none).</summary>
    public void AddCounters(AppScores other)
    {
        Requests += other.Requests;
        for (var i = 0; i < ScoreboardLayout.Buckets; i++)
        {
            QueueWaitBuckets[i] += other.QueueWaitBuckets[i];
            ServiceBuckets[i] += other.ServiceBuckets[i];
        }

        QueueWaitNanoseconds += other.QueueWaitNanoseconds;
        QueueWaitCount += other.QueueWaitCount;
        ServiceNanoseconds += other.ServiceNanoseconds;
        ServiceCount += other.ServiceCount;
    }
}
