using System.Buffers;
using System.Threading.Channels;
using Pm.Posix;
using Pm.Shared;

namespace Pm.Protocol.Queue;

/// <summary>
/// The PM's end of the queue: creates and checks the FIFO and spool, then reads records on a dedicated thread
/// and hands them to <see cref="Records"/>.
/// <para>
/// Constraints: nothing a writer sends (garbage, half records, floods) may stop or hang the reader; writers
/// come and go, so the FIFO must never report end-of-file; records spooled while no PM read must be delivered
/// exactly once, and each writer's records in the order written; 500k records/s.
/// </para>
/// <para>
/// Scheme: one thread waits on epoll for the FIFO's read end and an inotify watch on the spool. The reader
/// also holds a write end of its own FIFO, so the last writer leaving is not end-of-file. The FIFO is read in
/// 64 KiB chunks, decoded in place and written to a bounded channel (a full channel stops the reading, the pipe
/// fills, and writers spool). Bytes still incomplete when the pipe is empty are garbage: writers write whole
/// records atomically, so the rest of a record cannot be on its way.
/// </para>
/// <para>
/// Replay (SpoolProtocol): the reader renames a fresh file over the spool, seals the old one under its lock,
/// notes how many bytes the pipe holds (FIONREAD), and delivers those pipe bytes first (written before the
/// seal), then the old spool, and only then reads the FIFO again; that, together with the writers' Draining
/// mode, keeps every writer's records in order. The replay file is unlinked once delivered; a PM that dies
/// mid-replay finds it at the next start and replays it again (at-least-once in that case only).
/// </para>
/// </summary>
public sealed class QueueReader : IAsyncDisposable, IDisposable
{
    private const ulong FifoToken = 1;
    private const ulong InotifyToken = 2;

    // How often the reader yields, gate closed, for writers already inside their slot to finish their append,
    // before it gives the thread back to the FIFO and retries later (a few microseconds in all).
    private const int RetireSpins = 20;

    // The longest pause between retries of a retire that still waits for a writer to leave its slot.
    private static readonly TimeSpan MaxRetireRetry = TimeSpan.FromMilliseconds(100);

    private readonly QueuePaths _paths;
    private readonly QueueReaderOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<QueueRecord> _channel;
    private readonly QueueRecordDecoder _fifoDecoder;
    private readonly QueueRecordDecoder _spoolDecoder;
    private readonly byte[] _buffer;
    private readonly Epoll _epoll;
    private readonly Inotify? _inotify;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abandon = new();

    private readonly int _fifoRead;
    private readonly int _fifoWrite;
    private int _spoolFd;
    private int _spoolWatch = -1;
    private int _retiring = -1;      // the previous spool, renamed away but not yet sealed and delivered
    private bool _gateClosed;        // the reader holds the gate byte on _retiring
    private int _buffered;
    private volatile bool _stopping;
    private int _released;

    private long _recordsRead;
    private long _recordsReplayed;
    private long _spoolReplays;
    private long _lockBusy;
    private long _abandoned;

    private QueueReader(QueuePaths paths, QueueReaderOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReadBufferBytes, QueueRecordCodec.MaxRecordBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChannelCapacity, 1);
        _paths = paths;
        _options = options;
        _time = options.TimeProvider;
        _channel = Channel.CreateBounded<QueueRecord>(new BoundedChannelOptions(options.ChannelCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _fifoDecoder = new QueueRecordDecoder(QueueSource.Fifo, options.Skipped);
        _spoolDecoder = new QueueRecordDecoder(QueueSource.Spool, options.Skipped);
        _buffer = new byte[options.ReadBufferBytes + QueueRecordCodec.MaxRecordBytes];

        // The descriptors are plain ints owned by the reader thread, which closes them when it ends; until the
        // thread exists, this list undoes a half-finished setup.
        var opened = new List<Action>();
        try
        {
            QueueFileSetup.PrepareDirectory(paths, options.Access);
            _fifoRead = QueueFileSetup.OpenFifoReadEnd(paths, options.Access);
            var fifoRead = _fifoRead;
            opened.Add(() => FileDescriptor.Close(fifoRead));
            if (!PosixFile.TryOpenWriteOnlyNonBlocking(paths.Fifo, out _fifoWrite, out var errno))
            {
                throw new PosixException("open(O_WRONLY|O_NONBLOCK)", errno, paths.Fifo);
            }

            var fifoWrite = _fifoWrite;
            opened.Add(() => FileDescriptor.Close(fifoWrite));
            Fifo.TrySetCapacity(_fifoRead, options.PipeCapacityBytes);
            _spoolFd = QueueFileSetup.OpenSpool(paths, options.Access);
            var spool = _spoolFd;
            opened.Add(() => FileDescriptor.Close(spool));

            _epoll = new Epoll();
            opened.Add(_epoll.Dispose);
            _epoll.Add(_fifoRead, FifoToken);
            try
            {
                _inotify = Inotify.Create();
                _spoolWatch = _inotify.WatchModify(paths.Spool);
                _epoll.Add(_inotify.Fd, InotifyToken);
            }
            catch (PosixException)
            {
                // No inotify (instance or watch limits): the periodic spool check still finds spooled records.
                _inotify?.Dispose();
                _inotify = null;
            }
        }
        catch
        {
            foreach (var undo in opened)
            {
                undo();
            }

            throw;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "pm-queue-reader" };
    }

    public QueuePaths Paths => _paths;

    /// <summary>Records in the order read; completed when the reader stops (with the exception if it failed).</summary>
    public ChannelReader<QueueRecord> Records => _channel.Reader;

    /// <summary>Completes when the reader thread has stopped; faulted if it failed.</summary>
    public Task Completion => _completion.Task;

    public QueueReaderCounters Counters => new(
        Volatile.Read(ref _recordsRead),
        Volatile.Read(ref _recordsReplayed),
        _fifoDecoder.SkippedBytes + _spoolDecoder.SkippedBytes,
        _fifoDecoder.BadRecords + _spoolDecoder.BadRecords,
        Volatile.Read(ref _spoolReplays),
        Volatile.Read(ref _lockBusy),
        Volatile.Read(ref _abandoned));

    /// <summary>
    /// Prepares the queue in ipcDirectory and starts reading: first whatever was spooled while no PM read,
    /// then the FIFO.
    /// </summary>
    /// <exception cref="QueueSetupException">The directory or a queue file has the wrong owner, type or modes.</exception>
    /// <exception cref="PosixException">A file could not be created or opened.</exception>
    public static QueueReader Start(string ipcDirectory, QueueReaderOptions? options = null)
    {
        var reader = new QueueReader(new QueuePaths(ipcDirectory), options ?? new QueueReaderOptions());
        reader._thread.Start();
        return reader;
    }

    /// <summary>
    /// Stops reading: what the pipe holds at this moment is still read and delivered (the consumer must keep
    /// reading <see cref="Records"/> until it completes), then the FIFO is closed and writers start spooling.
    /// Cancelling gives up on delivering; records read but not delivered are counted as abandoned.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopping = true;
        _epoll.Wake();
        using (cancellationToken.Register(() => _abandon.Cancel()))
        {
            await _completion.Task.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Stops without waiting for the consumer: undelivered records are abandoned.</summary>
    public async ValueTask DisposeAsync()
    {
        _abandon.Cancel();
        await StopAsync().ConfigureAwait(false);
        Release();
    }

    public void Dispose()
    {
        _abandon.Cancel();
        _stopping = true;
        _epoll.Wake();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        Release();
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _epoll.Dispose();
        _inotify?.Dispose();
        _abandon.Dispose();
    }

    private void Run()
    {
        Exception? failure = null;
        try
        {
            Loop();
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            FileDescriptor.Close(_fifoRead);
            FileDescriptor.Close(_fifoWrite);
            FileDescriptor.Close(_spoolFd);
            FileDescriptor.Close(_retiring);
            _channel.Writer.TryComplete(failure);
            if (failure is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(failure);
            }
        }
    }

    private void Loop()
    {
        ReplayLeftover();
        var dirty = true;
        var nextCheck = 0L;
        var retryAt = 0L;
        var busyRetires = 0; // retires in a row that found a writer inside its slot
        Span<ulong> ready = stackalloc ulong[4];
        while (!_stopping)
        {
            // The spool first (at start: what was written while no PM read comes before the FIFO), then the FIFO.
            // A retire that found a writer inside its slot is retried with backoff, not on every inotify ring:
            // a stuck or hostile writer must not make the reader spin.
            var now = _time.GetTimestamp();
            if (_retiring >= 0 ? now >= retryAt : dirty || now >= nextCheck)
            {
                dirty = false;
                nextCheck = now + Ticks(_options.SpoolCheckInterval);
                if (TryReplaySpool())
                {
                    busyRetires = 0;
                }
                else
                {
                    // The first retry waits LockRetryInterval as configured (even above the cap), then doubling.
                    var cap = busyRetires == 0 ? _options.LockRetryInterval : MaxRetireRetry;
                    retryAt = now + Ticks(ExponentialBackoff.Delay(_options.LockRetryInterval, busyRetires, cap));
                    busyRetires = Math.Min(busyRetires + 1, ExponentialBackoff.MaxDoublings);
                }
            }

            ReadFifo(_options.FifoBytesPerRound, untilEmpty: true);

            var wait = _retiring >= 0
                ? _time.GetElapsedTime(_time.GetTimestamp(), retryAt)
                : _options.SpoolCheckInterval;
            var n = _epoll.Wait(ready, Math.Max(1, (int)Math.Ceiling(wait.TotalMilliseconds)));
            for (var i = 0; i < n; i++)
            {
                if (ready[i] == InotifyToken && _inotify!.Drain())
                {
                    dirty = true;
                }
            }
        }

        // Deliver what writers managed to put in the pipe before the stop; anything written after this count
        // stays in the pipe for the next PM (writers keep their descriptors open after EPIPE). The count is of
        // whole writes, so a fragment left over after it is garbage.
        if (!_abandon.IsCancellationRequested)
        {
            ReadFifo(Fifo.BytesAvailable(_fifoRead), untilEmpty: false);
            DeliverFifoBytes(isFinal: true);
        }
    }

    // Reads up to limit bytes from the FIFO, decoding and delivering as it goes. With untilEmpty, an empty pipe
    // (EAGAIN) ends the round and marks the bytes still buffered as final: the rest of them cannot arrive.
    private void ReadFifo(long limit, bool untilEmpty)
    {
        long total = 0;
        while (total < limit && !_abandon.IsCancellationRequested)
        {
            var room = (int)Math.Min(_buffer.Length - _buffered, limit - total);
            var n = Pipe.ReadNonBlocking(_fifoRead, _buffer.AsSpan(_buffered, room));
            if (n <= 0)
            {
                // EAGAIN (or end-of-file, impossible while we hold a write end): the pipe is empty.
                if (untilEmpty)
                {
                    DeliverFifoBytes(isFinal: true);
                }

                return;
            }

            total += n;
            _buffered += n;
            DeliverFifoBytes(isFinal: false);
        }
    }

    private void DeliverFifoBytes(bool isFinal)
    {
        var sequence = new ReadOnlySequence<byte>(_buffer, 0, _buffered);
        while (_fifoDecoder.TryDecode(ref sequence, isFinal, out var record))
        {
            if (!Deliver(record))
            {
                Interlocked.Increment(ref _abandoned);
                continue;
            }

            Volatile.Write(ref _recordsRead, _recordsRead + 1);
        }

        var left = (int)sequence.Length;
        if (left > 0 && left != _buffered)
        {
            Buffer.BlockCopy(_buffer, _buffered - left, _buffer, 0, left);
        }

        _buffered = left;
    }

    private bool Deliver(in QueueRecord record)
    {
        var writer = _channel.Writer;
        while (!writer.TryWrite(record))
        {
            // The consumer is behind. Blocking this thread is the back-pressure: the pipe fills, writers spool.
            try
            {
                if (!writer.WaitToWriteAsync(_abandon.Token).AsTask().GetAwaiter().GetResult())
                {
                    return false;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    // A replay file left by a PM that died while replaying: it is retired (sealed, delivered) before anything else.
    private void ReplayLeftover()
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
            ReadFifo(backlog, untilEmpty: false);
            ReplayFile(fd);

            // Given up half way (disposed while the consumer stalled): keep the file for the next PM, which
            // delivers it again; duplicates beat losses.
            if (!_abandon.IsCancellationRequested)
            {
                PosixFile.Unlink(_paths.SpoolReplay);
                Interlocked.Increment(ref _spoolReplays);
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
        // The FIFO buffer may hold the start of a record whose rest is still in the pipe; replay uses the part
        // of the buffer behind it, and the FIFO bytes stay where they are.
        var spoolStart = _buffered;
        _spoolDecoder.Reset();
        long offset = 0;
        var filled = 0;
        while (!_abandon.IsCancellationRequested)
        {
            var n = PosixFile.ReadAt(fd, _buffer.AsSpan(spoolStart + filled), offset);
            offset += n;
            filled += n;
            var sequence = new ReadOnlySequence<byte>(_buffer, spoolStart, filled);
            while (_spoolDecoder.TryDecode(ref sequence, isFinal: n == 0, out var record))
            {
                if (!Deliver(record))
                {
                    Interlocked.Increment(ref _abandoned);
                    continue;
                }

                Volatile.Write(ref _recordsRead, _recordsRead + 1);
                Volatile.Write(ref _recordsReplayed, _recordsReplayed + 1);
            }

            var left = (int)sequence.Length;
            if (left > 0 && left != filled)
            {
                Buffer.BlockCopy(_buffer, spoolStart + filled - left, _buffer, spoolStart, left);
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
