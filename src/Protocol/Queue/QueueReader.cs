using System.Buffers;
using System.Threading.Channels;
using Pm.Posix;

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
/// Replay (<see cref="SpoolReplay"/>): the reader renames a fresh file over the spool, seals the old one under its
/// lock, notes how many bytes the pipe holds (FIONREAD), and delivers those pipe bytes first (written before the
/// seal), then the old spool, and only then reads the FIFO again; that, together with the writers' Draining
/// mode, keeps every writer's records in order. The replay file is unlinked once delivered; a PM that dies
/// mid-replay finds it at the next start and replays it again (at-least-once in that case only).
/// </para>
/// </summary>
public sealed class QueueReader : IAsyncDisposable, IDisposable, ISpoolReplayHost
{
    private const ulong FifoToken = 1;
    private const ulong InotifyToken = 2;

    private readonly QueuePaths _paths;
    private readonly QueueReaderOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<QueueRecord> _channel;
    private readonly QueueRecordDecoder _fifoDecoder;
    private readonly byte[] _buffer;
    private readonly SpoolReplay _spool;
    private readonly Epoll _epoll;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abandon = new();

    private readonly int _fifoRead;
    private readonly int _fifoWrite;
    private int _buffered;
    private volatile bool _stopping;
    private int _released;

    private long _recordsRead;
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
            _spool = new SpoolReplay(paths, options, _fifoRead, this);
            opened.Add(_spool.CloseFiles);

            _epoll = new Epoll();
            opened.Add(_epoll.Dispose);
            _epoll.Add(_fifoRead, FifoToken);
            _spool.Watch(_epoll, InotifyToken);
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
        _spool.RecordsReplayed,
        _fifoDecoder.SkippedBytes + _spool.SkippedBytes,
        _fifoDecoder.BadRecords + _spool.BadRecords,
        _spool.Replays,
        _spool.LockBusy,
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
        _spool.Dispose();
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
            _spool.CloseFiles();
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
        _spool.ReplayLeftover();
        var written = true;
        Span<ulong> ready = stackalloc ulong[4];
        while (!_stopping)
        {
            // The spool first (at start: what was written while no PM read comes before the FIFO), then the FIFO.
            var now = _time.GetTimestamp();
            if (_spool.IsDue(now, written))
            {
                written = false;
                _spool.Replay(now);
            }

            ReadFifo(_options.FifoBytesPerRound, untilEmpty: true);

            var wait = _spool.UntilDue();
            var n = _epoll.Wait(ready, Math.Max(1, (int)Math.Ceiling(wait.TotalMilliseconds)));
            for (var i = 0; i < n; i++)
            {
                if (ready[i] == InotifyToken && _spool.DrainWatch())
                {
                    written = true;
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

    bool ISpoolReplayHost.IsAbandoned => _abandon.IsCancellationRequested;

    ArraySegment<byte> ISpoolReplayHost.SpareBuffer => new(_buffer, _buffered, _buffer.Length - _buffered);

    void ISpoolReplayHost.DeliverFifoBacklog(int count) => ReadFifo(count, untilEmpty: false);

    bool ISpoolReplayHost.DeliverReplayed(in QueueRecord record)
    {
        if (!Deliver(record))
        {
            Interlocked.Increment(ref _abandoned);
            return false;
        }

        Volatile.Write(ref _recordsRead, _recordsRead + 1);
        return true;
    }
}
