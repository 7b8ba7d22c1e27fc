namespace Pm.Protocol.Queue;

/// <summary>Bounds and hooks for a <see cref="QueueWriter"/>. The defaults suit a front-end writing ~15k records/s.</summary>
public sealed class QueueWriterOptions
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How long a write may wait for room in a full pipe (the PM is slow) before it spools instead.</summary>
    public TimeSpan PipeFullWait { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a write may wait for another writer's spool lock before it drops the record.</summary>
    public TimeSpan SpoolLockWait { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>While spooling, how often to look for a PM reading the FIFO again.</summary>
    public TimeSpan ReopenInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The spool is not grown past this size (a PM down for hours must not fill the disk); later records are dropped.</summary>
    public long MaxSpoolBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Called, on the writing thread, for every failure (dropped record, unusable FIFO). Must not block, throw, or write to a QueueWriter.</summary>
    public Action<QueueWriteFailure>? Failed { get; init; }

    /// <summary>Called, on the writing thread under the writer's lock, when the mode changes. Must not block, throw, or write to a QueueWriter.</summary>
    public Action<QueueWriterMode>? ModeChanged { get; init; }
}
