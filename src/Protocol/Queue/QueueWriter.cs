using Pm.Posix;

namespace Pm.Protocol.Queue;

/// <summary>
/// Sends queue records from a web process to the PM.
/// <para>
/// Constraints: many request threads call <see cref="Write"/> at once (about 15k records/s per process); a
/// write must never wait longer than a small bound, whatever the PM does (slow, stopped, crashed); transient
/// trouble is counted and reported, never thrown; records written while no PM reads are replayed when one
/// starts; and the PM sees each writer's records in the order they were written.
/// </para>
/// <para>
/// Scheme: each record is encoded into a per-thread buffer and sent with one non-blocking write(2) to the
/// FIFO, which is atomic because a record is at most PIPE_BUF bytes. That hot path takes no lock. When the FIFO cannot
/// take the record (ENXIO/ENOENT at open: no PM; EPIPE: the PM went away; EAGAIN for longer than
/// <see cref="QueueWriterOptions.PipeFullWait"/>: the PM is slow) the record is appended to the spool file
/// (<see cref="SpoolWriter"/>, see <see cref="SpoolProtocol"/>). The spool is never created here: the PM owns it
/// and sets its modes.
/// </para>
/// <para>
/// Ordering: once a writer has spooled, it keeps spooling (<see cref="QueueWriterMode.Draining"/>) until it
/// finds the file of its latest append sealed by the reader (which delivers that file, and the FIFO bytes that
/// preceded the seal, before it reads the FIFO again); only then does it go back to the FIFO. After EPIPE the
/// old FIFO descriptor is kept open: records the PM accepted into the pipe but never read stay in the pipe for
/// the next PM instead of vanishing with the last writer.
/// </para>
/// </summary>
public sealed class QueueWriter : IDisposable
{
    // Bounds the pipe-full loop even when the injected clock does not move (a FakeTimeProvider).
    private const int MaxPipeFullPolls = 64;

    [ThreadStatic]
    private static byte[]? t_buffer;

    private readonly QueuePaths _paths;
    private readonly QueueWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _stateLock = new();
    private readonly SpoolWriter _spool;    // used under _stateLock

    // Set only in Fifo mode: the lock-free hot path reads it once per write.
    private volatile DescriptorHandle? _fifo;
    private volatile QueueWriterMode _mode = QueueWriterMode.Spooling;

    // Guarded by _stateLock.
    private DescriptorHandle? _candidate;   // Draining: the FIFO end to use once the spool is taken
    private DescriptorHandle? _orphan;      // after EPIPE: keeps unread records in the pipe alive
    private long _nextFifoAttempt;
    private bool _disposed;

    private long _sent;
    private long _spooled;
    private long _dropped;

    private QueueWriter(QueuePaths paths, QueueWriterOptions options)
    {
        _paths = paths;
        _options = options;
        _time = options.TimeProvider;
        _spool = new SpoolWriter(paths, options);
        _nextFifoAttempt = _time.GetTimestamp();
    }

    public QueuePaths Paths => _paths;

    public QueueWriterMode Mode => _mode;

    public QueueWriterCounters Counters =>
        new(Interlocked.Read(ref _sent), Interlocked.Read(ref _spooled), Interlocked.Read(ref _dropped));

    /// <summary>
    /// A writer for the queue in ipcDirectory. Opening never fails for want of a PM (nothing is touched until
    /// the first write), so web processes may start before the PM.
    /// </summary>
    public static QueueWriter Open(string ipcDirectory, QueueWriterOptions? options = null) =>
        new(new QueuePaths(ipcDirectory), options ?? new QueueWriterOptions());

    /// <summary>
    /// Opens, writes one record and closes: for a short-lived process such as <c>pm request start PATH</c>.
    /// The result says where it went; failures also go to <see cref="QueueWriterOptions.Failed"/>.
    /// </summary>
    public static QueueWriteResult Send(string ipcDirectory, in QueueRecord record, QueueWriterOptions? options = null)
    {
        using var writer = Open(ipcDirectory, options);
        return writer.Write(record);
    }

    /// <summary>
    /// Sends one record: to the FIFO, else to the spool, else drops it (reported through
    /// <see cref="QueueWriterOptions.Failed"/>). Thread-safe; waits at most about PipeFullWait + SpoolLockWait.
    /// </summary>
    /// <exception cref="ArgumentException">The record is default (not made by a QueueRecord factory).</exception>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public QueueWriteResult Write(in QueueRecord record)
    {
        // One buffer per thread: a 4 KiB stackalloc would be zeroed on every call.
        var buffer = t_buffer ??= new byte[QueueRecordCodec.MaxRecordBytes];
        return WriteEncoded(buffer.AsSpan(0, QueueRecordCodec.Encode(record, buffer)), 1);
    }

    /// <summary>
    /// Sends <paramref name="count"/> records already encoded back to back (<see cref="QueueRecordCodec.Encode"/>) with
    /// one write(2): a web process's batch of C records, one system call and one wake-up of the PM instead of one per
    /// request. At most <see cref="QueueRecordCodec.MaxRecordBytes"/> (PIPE_BUF) in all, so the FIFO takes the batch
    /// whole or not at all and the reader sees every record intact; the fallbacks are those of <see cref="Write"/>, and
    /// the counters count records.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty or longer than PIPE_BUF.</exception>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public QueueWriteResult WriteEncoded(ReadOnlySpan<byte> bytes, int count)
    {
        if (bytes.IsEmpty || bytes.Length > QueueRecordCodec.MaxRecordBytes || count < 1)
        {
            throw new ArgumentException($"a batch of queue records is 1..{QueueRecordCodec.MaxRecordBytes} bytes of at least one record, not {bytes.Length} bytes of {count}", nameof(bytes));
        }

        var fifo = _fifo;
        var outcome = FifoOutcome.NotTried;
        var errno = 0;
        if (fifo is not null)
        {
            outcome = WriteToFifo(fifo, bytes, out errno);
            if (outcome == FifoOutcome.Sent)
            {
                Interlocked.Add(ref _sent, count);
                return QueueWriteResult.Sent;
            }
        }

        return WriteSlow(bytes, count, fifo, outcome, errno);
    }

    public void Dispose()
    {
        lock (_stateLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _fifo?.Dispose();
            _fifo = null;
            _candidate?.Dispose();
            _candidate = null;
            _orphan?.Dispose();
            _orphan = null;
            _spool.Dispose();
        }
    }

    private QueueWriteResult WriteSlow(ReadOnlySpan<byte> bytes, int count, DescriptorHandle? failed, FifoOutcome outcome, int errno)
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (failed is not null && ReferenceEquals(_fifo, failed))
                {
                    LeaveFifo(failed, outcome, errno);
                }

                // A record that already waited PipeFullWait for room goes to the spool, whatever the mode is now.
                var spoolThis = outcome == FifoOutcome.PipeFull;

                // A few rounds at most: each either finishes or moves the mode strictly forward.
                for (var round = 0; round < 4 && !spoolThis; round++)
                {
                    switch (_mode)
                    {
                        case QueueWriterMode.Fifo:
                            var fifo = _fifo!;
                            outcome = WriteToFifo(fifo, bytes, out errno);
                            if (outcome == FifoOutcome.Sent)
                            {
                                Interlocked.Add(ref _sent, count);
                                return QueueWriteResult.Sent;
                            }

                            LeaveFifo(fifo, outcome, errno);
                            spoolThis = outcome == FifoOutcome.PipeFull;
                            continue;

                        case QueueWriterMode.Spooling:
                            if (_time.GetTimestamp() >= _nextFifoAttempt && TryOpenFifo())
                            {
                                continue;
                            }

                            return AppendToSpool(bytes, count, switchToFifoIfTaken: false)!.Value;

                        case QueueWriterMode.Draining:
                            if (AppendToSpool(bytes, count, switchToFifoIfTaken: true) is { } result)
                            {
                                return result;
                            }

                            continue;
                    }
                }

                return AppendToSpool(bytes, count, switchToFifoIfTaken: false)!.Value;
            }
            catch (PosixException e)
            {
                // Unexpected failures of calls that should not fail (fstat, fcntl on our own descriptors).
                return Drop(QueueWriteFailureReason.SpoolWriteFailed, e.Errno, $"queue writer: {e.Message}", count);
            }
        }
    }

    // Under _stateLock: the FIFO (still in _fifo) could not take a record.
    private void LeaveFifo(DescriptorHandle fifo, FifoOutcome outcome, int errno)
    {
        _fifo = null;
        switch (outcome)
        {
            case FifoOutcome.PipeFull:
                // The PM reads, only too slowly: keep the descriptor and come back once the spool is taken.
                _candidate = fifo;
                SetMode(QueueWriterMode.Draining);
                return;

            case FifoOutcome.ReaderGone:
                _orphan?.Dispose();
                _orphan = fifo;
                break;

            default:
                Report(QueueWriteFailureReason.FifoWriteFailed, errno, $"queue writer: write to {_paths.Fifo} failed: {ErrorText(errno)}; spooling");
                fifo.Dispose();
                break;
        }

        _nextFifoAttempt = _time.GetTimestamp() + ToTimestampTicks(_options.ReopenInterval);
        SetMode(QueueWriterMode.Spooling);
    }

    // Under _stateLock, in Spooling mode: is a PM reading the FIFO again?
    private bool TryOpenFifo()
    {
        _nextFifoAttempt = _time.GetTimestamp() + ToTimestampTicks(_options.ReopenInterval);
        if (!PosixFile.TryOpenWriteOnlyNonBlocking(_paths.Fifo, out var fd, out var errno))
        {
            if (errno != Errno.ENXIO && errno != Errno.ENOENT)
            {
                Report(QueueWriteFailureReason.FifoUnusable, errno, $"queue writer: cannot open {_paths.Fifo}: {ErrorText(errno)}; spooling");
            }

            return false;
        }

        var handle = new DescriptorHandle(fd);
        if (PosixFile.StatDescriptor(fd).Kind != FileKind.Fifo)
        {
            handle.Dispose();
            Report(QueueWriteFailureReason.FifoUnusable, 0, $"queue writer: {_paths.Fifo} is not a FIFO; spooling");
            return false;
        }

        // The new descriptor keeps the pipe (and anything left unread in it) alive now.
        _orphan?.Dispose();
        _orphan = null;
        _candidate = handle;
        SetMode(QueueWriterMode.Draining);
        return true;
    }

    // Under _stateLock. In Draining mode (switchToFifoIfTaken), finding that the reader has taken every record we
    // spooled switches to the FIFO instead of appending, and returns null: the caller writes there.
    private QueueWriteResult? AppendToSpool(ReadOnlySpan<byte> bytes, int count, bool switchToFifoIfTaken)
    {
        switch (_spool.Append(bytes, unlessTaken: switchToFifoIfTaken, out var failure))
        {
            case SpoolWriter.Result.Taken:
                SwitchToFifo();
                return null;

            case SpoolWriter.Result.Appended:
                Interlocked.Add(ref _spooled, count);
                if (_mode == QueueWriterMode.Fifo)
                {
                    // Invariant: after spooling, nothing goes to the FIFO until the reader has taken the spool.
                    _candidate = _fifo;
                    _fifo = null;
                    SetMode(QueueWriterMode.Draining);
                }

                return QueueWriteResult.Spooled;

            default:
                return Drop(failure, count);
        }
    }

    private void SwitchToFifo()
    {
        _fifo = _candidate;
        _candidate = null;
        SetMode(QueueWriterMode.Fifo);
    }

    // One record to the FIFO; on a full pipe, waits for room (poll) at most PipeFullWait in all.
    private FifoOutcome WriteToFifo(DescriptorHandle fifo, ReadOnlySpan<byte> bytes, out int errno)
    {
        errno = 0;
        var added = false;
        try
        {
            fifo.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // Another thread retired this descriptor after we read it; the slow path sees the current state.
            return FifoOutcome.NotTried;
        }

        try
        {
            var fd = fifo.Fd;
            var start = _time.GetTimestamp();
            for (var polls = 0; ; polls++)
            {
                var n = PosixFile.WriteOnceReturningErrno(fd, bytes);
                if (n == bytes.Length)
                {
                    return FifoOutcome.Sent;
                }

                if (n >= 0)
                {
                    // Cannot happen on a pipe for writes <= PIPE_BUF; the reader skips the fragment as garbage.
                    errno = 0;
                    return FifoOutcome.Failed;
                }

                errno = -n;
                if (errno == Errno.EPIPE)
                {
                    return FifoOutcome.ReaderGone;
                }

                if (errno != Errno.EAGAIN)
                {
                    return FifoOutcome.Failed;
                }

                var left = _options.PipeFullWait - _time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero || polls >= MaxPipeFullPolls
                    || !Fifo.WaitWritable(fd, (int)Math.Ceiling(left.TotalMilliseconds)))
                {
                    return FifoOutcome.PipeFull;
                }
            }
        }
        finally
        {
            if (added)
            {
                fifo.DangerousRelease();
            }
        }
    }

    private QueueWriteResult Drop(QueueWriteFailureReason reason, int errno, string message, int count) =>
        Drop(new QueueWriteFailure(reason, errno, message), count);

    private QueueWriteResult Drop(QueueWriteFailure failure, int count)
    {
        Interlocked.Add(ref _dropped, count);
        _options.Failed?.Invoke(failure);
        return QueueWriteResult.Dropped;
    }

    private void Report(QueueWriteFailureReason reason, int errno, string message) =>
        _options.Failed?.Invoke(new QueueWriteFailure(reason, errno, message));

    private void SetMode(QueueWriterMode mode)
    {
        if (_mode != mode)
        {
            _mode = mode;
            _options.ModeChanged?.Invoke(mode);
        }
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static string ErrorText(int errno) => QueueWriteFailure.ErrorText(errno);

    private enum FifoOutcome
    {
        NotTried,
        Sent,
        PipeFull,
        ReaderGone,
        Failed,
    }
}
