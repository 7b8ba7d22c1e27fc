namespace Pm.Protocol.Queue;

/// <summary>
/// A run of bytes the decoder skipped: where (offset in the FIFO byte stream since the reader started, or in
/// the spool file being replayed), how many, and why. Adjacent skips are reported as one run.
/// </summary>
public readonly record struct QueueSkip(QueueSource Source, long Offset, long Length, QueueSkipReason Reason)
{
    public override string ToString() =>
        $"queue {Source.ToString().ToLowerInvariant()} offset {Offset}: skipped {Length} byte{(Length == 1 ? "" : "s")} ({Reason})";
}
