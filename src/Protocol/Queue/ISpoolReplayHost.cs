namespace Pm.Protocol.Queue;

/// <summary>What a <see cref="SpoolReplay"/> needs of the reader that owns the FIFO and the delivery channel.</summary>
internal interface ISpoolReplayHost
{
    /// <summary>Delivering was given up (disposed, or the stop cancelled): stop replaying, keep the file.</summary>
    bool IsAbandoned { get; }

    /// <summary>
    /// The part of the read buffer behind the FIFO bytes it holds now: the FIFO buffer may hold the start of a record
    /// whose rest is still in the pipe, so the replay reads the spool behind it and the FIFO bytes stay where they are.
    /// </summary>
    ArraySegment<byte> SpareBuffer { get; }

    /// <summary>Reads and delivers exactly <paramref name="count"/> FIFO bytes (those in the pipe when the spool was sealed).</summary>
    void DeliverFifoBacklog(int count);

    /// <summary>Delivers one replayed record and counts it as read; false (counted as abandoned) when delivery was given up.</summary>
    bool DeliverReplayed(in QueueRecord record);
}
