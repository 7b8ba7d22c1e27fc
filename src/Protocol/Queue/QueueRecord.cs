namespace Pm.Protocol.Queue;

/// <summary>
/// One message from a web process to the PM: which app (path plus the uid and gid it runs as, as in
/// mod_fastcgi's <c>&lt;path&gt; &lt;uid&gt; &lt;gid&gt;</c>), what happened, and when (unix microseconds, the
/// writer's clock). Complete records also carry how long the request queued and how long it was served.
/// Uid and gid are what the writer claims; the queue's file modes decide who may write at all.
/// </summary>
public readonly record struct QueueRecord
{
    internal QueueRecord(
        QueueRecordKind kind,
        string path,
        uint uid,
        uint gid,
        long timestampMicroseconds,
        long queueTimeMicroseconds,
        long serviceTimeMicroseconds)
    {
        Kind = kind;
        Path = path;
        Uid = uid;
        Gid = gid;
        TimestampMicroseconds = timestampMicroseconds;
        QueueTimeMicroseconds = queueTimeMicroseconds;
        ServiceTimeMicroseconds = serviceTimeMicroseconds;
    }

    public QueueRecordKind Kind { get; }

    /// <summary>The app path: any characters but NUL, at most <see cref="QueueRecordCodec.MaxPathBytes"/> bytes of UTF-8.</summary>
    public string Path { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>When the writer wrote the record, in microseconds since the unix epoch.</summary>
    public long TimestampMicroseconds { get; }

    /// <summary>Complete only: from the request's arrival to the app's first byte, in microseconds.</summary>
    public long QueueTimeMicroseconds { get; }

    /// <summary>Complete only: from the app's first byte to the end of the request, in microseconds.</summary>
    public long ServiceTimeMicroseconds { get; }

    /// <summary>L and X only: how long the request has run, from its arrival (carried in the queue-time field).</summary>
    public TimeSpan Elapsed => QueueTime;

    /// <summary>
    /// L and X only: the inode of the web process's socket connected to the app (carried in the service-time field).
    /// The PM finds, from the kernel's socket table, the app-side socket whose peer it is, and the instance holding that.
    /// </summary>
    public ulong ClientSocketInode => (ulong)ServiceTimeMicroseconds;

    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(TimestampMicroseconds * TimeSpan.TicksPerMicrosecond);

    public TimeSpan QueueTime => TimeSpan.FromTicks(QueueTimeMicroseconds * TimeSpan.TicksPerMicrosecond);

    public TimeSpan ServiceTime => TimeSpan.FromTicks(ServiceTimeMicroseconds * TimeSpan.TicksPerMicrosecond);

    /// <summary>'S': start the app if it has no instance.</summary>
    /// <exception cref="QueuePathTooLongException">The path does not fit in one record.</exception>
    /// <exception cref="ArgumentException">The path is empty, contains NUL or is not valid UTF-16.</exception>
    public static QueueRecord Start(string path, uint uid, uint gid, DateTimeOffset now) =>
        Create(QueueRecordKind.Start, path, uid, gid, now, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>'T': a request waited longer than startDelay; start another instance.</summary>
    public static QueueRecord MoreNeeded(string path, uint uid, uint gid, DateTimeOffset now) =>
        Create(QueueRecordKind.MoreNeeded, path, uid, gid, now, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>'C': a request finished. Durations are carried in whole microseconds (sub-microsecond parts are dropped).</summary>
    public static QueueRecord Complete(string path, uint uid, uint gid, DateTimeOffset now, TimeSpan queueTime, TimeSpan serviceTime) =>
        Create(QueueRecordKind.Complete, path, uid, gid, now, queueTime, serviceTime);

    /// <summary>'R': the app's binary changed; restart it.</summary>
    public static QueueRecord BinaryChanged(string path, uint uid, uint gid, DateTimeOffset now) =>
        Create(QueueRecordKind.BinaryChanged, path, uid, gid, now, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>'L': a request has run <paramref name="elapsed"/>, past -slow-log, on the connection whose web-process end is <paramref name="clientSocketInode"/>.</summary>
    public static QueueRecord SlowRequest(string path, uint uid, uint gid, DateTimeOffset now, TimeSpan elapsed, ulong clientSocketInode) =>
        Create(QueueRecordKind.SlowRequest, path, uid, gid, now, elapsed, InodeField(clientSocketInode));

    /// <summary>'X': a request ran <paramref name="elapsed"/>, past -request-timeout, on the connection whose web-process end is <paramref name="clientSocketInode"/>.</summary>
    public static QueueRecord RequestTimedOut(string path, uint uid, uint gid, DateTimeOffset now, TimeSpan elapsed, ulong clientSocketInode) =>
        Create(QueueRecordKind.RequestTimedOut, path, uid, gid, now, elapsed, InodeField(clientSocketInode));

    public override string ToString() => Kind switch
    {
        QueueRecordKind.Complete => $"{Kind} '{Path}' uid {Uid} gid {Gid} at {TimestampMicroseconds} queued {QueueTimeMicroseconds}us served {ServiceTimeMicroseconds}us",
        QueueRecordKind.SlowRequest or QueueRecordKind.RequestTimedOut =>
            $"{Kind} '{Path}' uid {Uid} gid {Gid} at {TimestampMicroseconds} running {QueueTimeMicroseconds}us socket inode {ClientSocketInode}",
        _ => $"{Kind} '{Path}' uid {Uid} gid {Gid} at {TimestampMicroseconds}",
    };

    private static TimeSpan InodeField(ulong inode) =>
        inode <= long.MaxValue / TimeSpan.TicksPerMicrosecond
            ? TimeSpan.FromTicks((long)inode * TimeSpan.TicksPerMicrosecond)
            : throw new ArgumentOutOfRangeException(nameof(inode), inode, "socket inode too large for a queue record");

    private static QueueRecord Create(
        QueueRecordKind kind, string path, uint uid, uint gid, DateTimeOffset now, TimeSpan queueTime, TimeSpan serviceTime)
    {
        QueueRecordCodec.ValidatePath(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(serviceTime, TimeSpan.Zero);
        var micros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        return new QueueRecord(
            kind,
            path,
            uid,
            gid,
            micros,
            queueTime.Ticks / TimeSpan.TicksPerMicrosecond,
            serviceTime.Ticks / TimeSpan.TicksPerMicrosecond);
    }
}
