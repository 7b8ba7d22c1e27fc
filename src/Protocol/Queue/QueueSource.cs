namespace Pm.Protocol.Queue;

/// <summary>Where the reader got bytes from.</summary>
public enum QueueSource
{
    /// <summary>The FIFO <c>queue</c>.</summary>
    Fifo,

    /// <summary>The spool file <c>queue.spool</c>, replayed by the reader.</summary>
    Spool,
}
