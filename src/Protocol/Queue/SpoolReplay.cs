using System.Buffers;
using Pm.Posix;
using Pm.Shared;

namespace Pm.Protocol.Queue;

/// <summary>
/// The reader's half of the spool (see <see cref="SpoolProtocol"/>): watches queue.spool, and when it holds
/// records renames a fresh file over it, seals the old one under its lock, has the reader deliver the FIFO bytes
/// that were in the pipe at the seal, then delivers the old file and unlinks it. A replay file left by a PM that
/// died mid-replay is delivered first, at start.
/// <para>
/// Constraints: the reader never waits on a writer. A retire that finds a writer still inside its slot keeps the
/// gate closed, gives the thread back to the FIFO, and is retried after LockRetryInterval, doubling up to 100 ms
/// (not on every inotify ring: a stuck or hostile writer must not make the reader spin). Runs on the reader's
/// thread only; the counters may be read from any thread.
/// </para>
/// </summary>
internal sealed class SpoolReplay : IDisposable
{
    // How often the reader yields, gate closed, for writers already inside their slot to finish their append,
    // before it gives the thread back to the FIFO and retries later (a few microseconds in all).
    private const int RetireSpins = 20;

    // The longest pause between retries of a retire that still waits for a writer to leave its slot.
    private static readonly TimeSpan MaxRetireRetry = TimeSpan.FromMilliseconds(100);

    private readonly QueuePaths _paths;
    private readonly QueueReaderOptions _options;
    private readonly TimeProvider _time;
    private readonly int _fifoRead;
    private readonly ISpoolReplayHost _host;
    private readonly QueueRecordDecoder _decoder;

    private Inotify? _inotify;
    private int _spoolFd;
    private int _spoolWatch = -1;
    private int _retiring = -1;      // the previous spool, renamed away but not yet sealed and delivered
    private bool _gateClosed;        // the reader holds the gate byte on _retiring

    private long _nextCheck;
    private long _retryAt;
    private int _busyRetires;        // retires in a row that found a writer inside its slot

    private long _recordsReplayed;
    private long _replays;
    private long _lockBusy;

    /// <summary>Opens (creating or checking) queue.spool; <paramref name="fifoRead"/> is the FIFO whose backlog a seal counts.</summary>
    public SpoolReplay(QueuePaths paths, QueueReaderOptions options, int fifoRead, ISpoolReplayHost host)
    {
        _paths = paths;
        _options = options;
        _time = options.TimeProvider;
        _fifoRead = fifoRead;
        _host = host;
        _decoder = new QueueRecordDecoder(QueueSource.Spool, options.Skipped);
        _spoolFd = QueueFileSetup.OpenSpool(paths, options.Access);
    }

    public long RecordsReplayed => Volatile.Read(ref _recordsReplayed);

    public long Replays => Volatile.Read(ref _replays);

    public long LockBusy => Volatile.Read(ref _lockBusy);

    public long SkippedBytes => _decoder.SkippedBytes;

    public long BadRecords => _decoder.BadRecords;

    /// <summary>Watches the spool with inotify, its descriptor added to <paramref name="epoll"/> under <paramref name="token"/>.</summary>
    public void Watch(Epoll epoll, ulong token)
    {
        try
        {
            _inotify = Inotify.Create();
            _spoolWatch = _inotify.WatchModify(_paths.Spool);
            epoll.Add(_inotify.Fd, token);
        }
        catch (PosixException)
        {
            // No inotify (instance or watch limits): the periodic spool check still finds spooled records.
            _inotify?.Dispose();
            _inotify = null;
        }
    }

    /// <summary>Reads the inotify events that woke the reader; true if the spool was written.</summary>
    public bool DrainWatch() => _inotify!.Drain();

    /// <summary>Whether to look at the spool now: a retire waiting for a writer when its retry is due, else when written or at the periodic check.</summary>
    public bool IsDue(long now, bool written) => _retiring >= 0 ? now >= _retryAt : written || now >= _nextCheck;

    /// <summary>How long the reader may wait on the FIFO before the spool needs looking at again.</summary>
    public TimeSpan UntilDue() => _retiring >= 0
        ? _time.GetElapsedTime(_time.GetTimestamp(), _retryAt)
        : _options.SpoolCheckInterval;

    /// <summary>Replays the spool if it holds anything; a retire that found a writer in its slot is scheduled for a retry.</summary>
    public void Replay(long now)
    {
        _nextCheck = now + Ticks(_options.SpoolCheckInterval);
        if (TryReplaySpool())
        {
            _busyRetires = 0;
            return;
        }

        // The first retry waits LockRetryInterval as configured (even above the cap), then doubling.
        var cap = _busyRetires == 0 ? _options.LockRetryInterval : MaxRetireRetry;
        _retryAt = now + Ticks(ExponentialBackoff.Delay(_options.LockRetryInterval, _busyRetires, cap));
        _busyRetires = Math.Min(_busyRetires + 1, ExponentialBackoff.MaxDoublings);
    }

    // A replay file left by a PM that died while replaying: it is retired (sealed, delivered) before anything else.
    public void ReplayLeftover()
    {
        if (QueueFileSetup.OpenLeftoverReplay(_paths, _options.Access) is not { } fd)
        {
            return;
        }

        // Died between link and rename: both names are the same file, which the normal replay will take.
        if (PosixFile.StatDescriptor(fd).IsSameFileAs(PosixFile.StatDescriptor(_spoolFd)))
        {
            PosixFile.Unlink(_paths.SpoolReplay);
            FileDescriptor.Close(fd);
            return;
        }

        _retiring = fd;
    }

    /// <summary>Closes the spool descriptors, when the reader thread ends.</summary>
    public void CloseFiles()
    {
        FileDescriptor.Close(_spoolFd);
        FileDescriptor.Close(_retiring);
    }

    public void Dispose() => _inotify?.Dispose();

    // Replays the spool if it holds anything (SpoolProtocol). False when a writer sat in its slot on the retiring
    // file: the loop retries later, the FIFO is read meanwhile, nobody waits.
    private bool TryReplaySpool()
    {
        // Twice at most: a leftover or pending file, then the current spool; more spooled meanwhile rings inotify.
        for (var round = 0; round < 2; round++)
        {
            if (_retiring >= 0 && !TryRetire())
            {
                return false;
            }

            if (PosixFile.StatDescriptor(_spoolFd).Size == 0)
            {
                return true;
            }

            SwapSpool();
        }

        return _retiring < 0 || TryRetire();
    }

    // Gives queue.spool a fresh file. No lock is needed: only the reader renames, and writers that still hold
    // the old file either finish their append there before the seal or find it replaced and move on.
    private void SwapSpool()
    {
        var next = QueueFileSetup.CreateNextSpool(_paths, _options.Access);
        var nextWatch = -1;
        try
        {
            nextWatch = TryWatch(_paths.SpoolNext);
            PosixFile.HardLink(_paths.Spool, _paths.SpoolReplay);
            PosixFile.Rename(_paths.SpoolNext, _paths.Spool);
        }
        catch
        {
            if (nextWatch >= 0)
            {
                _inotify!.RemoveWatch(nextWatch);
            }

            FileDescriptor.Close(next);
            PosixFile.Unlink(_paths.SpoolNext);
            throw;
        }

        _retiring = _spoolFd;
        _spoolFd = next;
        if (_spoolWatch >= 0)
        {
            _inotify!.RemoveWatch(_spoolWatch);
        }

        _spoolWatch = nextWatch;
    }

    // inotify may run out of watches (fs.inotify.max_user_watches); the periodic check then finds spooled records.
    private int TryWatch(string path)
    {
        try
        {
            return _inotify?.WatchModify(path) ?? -1;
        }
        catch (PosixException)
        {
            return -1;
        }
    }

    // Seals the retiring file under its whole-file lock, then delivers the FIFO bytes that were in the pipe at
    // that moment (written before anything a writer appended to the file and then saw sealed), then the file.
    private bool TryRetire()
    {
        var fd = _retiring;
        if (!TryLockForRetire(fd))
        {
            Interlocked.Increment(ref _lockBusy);
            return false;
        }

        int backlog;
        try
        {
            PosixFile.ChangeModeOfDescriptor(fd, SpoolProtocol.SealedMode);
            backlog = Fifo.BytesAvailable(_fifoRead);
        }
        finally
        {
            FileLock.Unlock(fd);
        }

        _retiring = -1;
        try
        {
            _host.DeliverFifoBacklog(backlog);
            ReplayFile(fd);

            // Given up half way (disposed while the consumer stalled): keep the file for the next PM, which
            // delivers it again; duplicates beat losses.
            if (!_host.IsAbandoned)
            {
                PosixFile.Unlink(_paths.SpoolReplay);
                Interlocked.Increment(ref _replays);
            }
        }
        finally
        {
            FileDescriptor.Close(fd);
        }

        return true;
    }

    // Gate first, then the whole file (SpoolProtocol). The gate stays closed until the retire succeeds: it costs
    // writers nothing (they move to the fresh file), and it means the reader only waits for appends that were
    // already under way, however long a preempted writer takes to finish them, without spinning on it.
    private bool TryLockForRetire(int fd)
    {
        if (!_gateClosed)
        {
            if (!FileLock.TryLockRangeExclusiveNoWait(fd, SpoolProtocol.Gate, 1))
            {
                return false;
            }

            _gateClosed = true;
        }

        var spin = default(SpinWait);
        for (var attempt = 0; attempt < RetireSpins; attempt++)
        {
            if (FileLock.TryLockExclusiveNoWait(fd))
            {
                _gateClosed = false;
                return true;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        return false;
    }

    private void ReplayFile(int fd)
    {
        var spare = _host.SpareBuffer;
        var buffer = spare.Array!;
        var spoolStart = spare.Offset;
        _decoder.Reset();
        long offset = 0;
        var filled = 0;
        while (!_host.IsAbandoned)
        {
            var n = PosixFile.ReadAt(fd, buffer.AsSpan(spoolStart + filled), offset);
            offset += n;
            filled += n;
            var sequence = new ReadOnlySequence<byte>(buffer, spoolStart, filled);
            while (_decoder.TryDecode(ref sequence, isFinal: n == 0, out var record))
            {
                if (_host.DeliverReplayed(record))
                {
                    Volatile.Write(ref _recordsReplayed, _recordsReplayed + 1);
                }
            }

            var left = (int)sequence.Length;
            if (left > 0 && left != filled)
            {
                Buffer.BlockCopy(buffer, spoolStart + filled - left, buffer, spoolStart, left);
            }

            filled = left;
            if (n == 0)
            {
                return;
            }
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
