namespace Pm.Protocol.Queue;

/// <summary>Where a <see cref="QueueWriter"/> sends records now.</summary>
public enum QueueWriterMode
{
    /// <summary>A PM reads the FIFO; records go there, one atomic write each.</summary>
    Fifo,

    /// <summary>No PM reads (or the FIFO is missing); records are appended to the spool. The FIFO is retried every ReopenInterval.</summary>
    Spooling,

    /// <summary>
    /// A PM reads again (or the pipe was full for too long), but records this writer spooled earlier have not been
    /// taken by the PM yet: records keep going to the spool until it has been, so that the PM sees them in order.
    /// </summary>
    Draining,
}
