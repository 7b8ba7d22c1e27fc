namespace Pm.Protocol.Queue;

/// <summary>How a <see cref="QueueReader"/> sets up the queue and delivers records.</summary>
public sealed class QueueReaderOptions
{
    /// <summary>Who besides the PM's user may write records (file group and modes).</summary>
    public QueueAccess Access { get; init; } = QueueAccess.OwnerOnly;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Records buffered for the consumer; when full, the reader stops reading and writers spool.</summary>
    public int ChannelCapacity { get; init; } = 64 * 1024;

    /// <summary>Bytes asked of the FIFO (or the spool) per read.</summary>
    public int ReadBufferBytes { get; init; } = 64 * 1024;

    /// <summary>Pipe capacity to ask for (F_SETPIPE_SZ): room for bursts while the PM is busy. Capped by the kernel.</summary>
    public int PipeCapacityBytes { get; init; } = 1024 * 1024;

    /// <summary>Bytes read from the FIFO before the reader looks at the spool again, so a busy FIFO cannot starve replays.</summary>
    public int FifoBytesPerRound { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often to look at the spool besides inotify (a safety net: inotify may be unavailable).</summary>
    public TimeSpan SpoolCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How soon to retry a replay while a writer is still appending to the old spool; doubles up to 100 ms while it stays.</summary>
    public TimeSpan LockRetryInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Called on the reader thread for each run of skipped bytes. Must not block or throw.</summary>
    public Action<QueueSkip>? Skipped { get; init; }
}
