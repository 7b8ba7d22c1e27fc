namespace Pm.Protocol.Queue;

/// <summary>A snapshot of what a <see cref="QueueReader"/> has done.</summary>
public readonly record struct QueueReaderCounters(
    long RecordsRead,
    long RecordsReplayed,
    long SkippedBytes,
    long BadRecords,
    long SpoolReplays,
    long SpoolLockBusy,
    long RecordsAbandoned)
{
    /// <summary>Records delivered from the FIFO (RecordsRead counts both sources).</summary>
    public long RecordsFromFifo => RecordsRead - RecordsReplayed;
}
