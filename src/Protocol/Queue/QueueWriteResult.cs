namespace Pm.Protocol.Queue;

/// <summary>What became of one record.</summary>
public enum QueueWriteResult
{
    /// <summary>Written to the FIFO.</summary>
    Sent,

    /// <summary>Appended to the spool; the PM replays it.</summary>
    Spooled,

    /// <summary>Neither was possible within the bounds; the reason went to <see cref="QueueWriterOptions.Failed"/>.</summary>
    Dropped,
}
