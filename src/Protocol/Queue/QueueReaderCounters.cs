namespace Pm.Protocol.Queue;

/// <summary>
/// A snapshot of what a <see cref="QueueReader"/> has done. SpoolLockBusy counts retire attempts that found a
/// writer still appending to the old spool (retried later); RecordsAbandoned, records read but never delivered
/// because the reader was disposed while its consumer stalled.
/// </summary>
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
