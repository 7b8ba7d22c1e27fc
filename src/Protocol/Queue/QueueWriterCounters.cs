namespace Pm.Protocol.Queue;

/// <summary>A snapshot of what one <see cref="QueueWriter"/> did with its records.</summary>
public readonly record struct QueueWriterCounters(long Sent, long Spooled, long Dropped)
{
    public long Total => Sent + Spooled + Dropped;
}
