using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// The C records of a web process (one per dynamic request: its queue and service time), gathered for at most
/// <see cref="MaxDelay"/> and sent to the PM together: one write(2), and one wake-up of the PM, per batch instead of
/// per request. Measured at c=64 on a microsecond hello app, the per-request write and the PM reading it were what
/// the dynamic path cost beyond the static one (bench/PmBench peers, row 5).
/// <para>
/// Nothing the demand policy uses is lost: every record is kept, in order, with its own timestamp (the policy counts
/// completions by their time, not by when they arrive), and the delay is far below a policy round. Only C records
/// wait: S, T, R, L and X records ask the PM to act and still go at once. A batch is at most PIPE_BUF bytes
/// (<see cref="QueueRecordCodec.MaxRecordBytes"/>), so the FIFO takes it whole or not at all; a record that does not
/// fit sends the batch before it first.
/// </para>
/// </summary>
internal sealed class CompletionBatch : IDisposable
{
    /// <summary>The longest a C record waits for the ones after it.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(5);

    private readonly Sink _send;
    private readonly Lock _sync = new();
    private readonly byte[] _buffer = new byte[QueueRecordCodec.MaxRecordBytes];
    private readonly ITimer _timer;
    private int _length;
    private int _count;
    private bool _armed;
    private bool _disposed;

    /// <param name="send">Sends whole encoded records, back to back (<see cref="QueueWriter.WriteEncoded"/>); called
    /// with this batch's lock held, so batches leave in order.</param>
    public CompletionBatch(TimeProvider time, Sink send)
    {
        _send = send;
        _timer = time.CreateTimer(static state => ((CompletionBatch)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where a batch goes: <paramref name="records"/> holds <paramref name="count"/> encoded records.</summary>
    public delegate void Sink(ReadOnlySpan<byte> records, int count);

    /// <summary>Adds a record to the batch; it leaves within <see cref="MaxDelay"/> (at once after <see cref="Dispose"/>).</summary>
    /// <exception cref="ArgumentException">The record cannot be encoded (see <see cref="QueueRecordCodec.Encode"/>).</exception>
    public void Add(in QueueRecord record)
    {
        var size = QueueRecordCodec.GetEncodedLength(record);
        lock (_sync)
        {
            if (_length + size > _buffer.Length)
            {
                SendLocked();
            }

            _length += QueueRecordCodec.Encode(record, _buffer.AsSpan(_length));
            _count++;
            if (_disposed)
            {
                // A request that ended while the web process stops: nobody would flush it later.
                SendLocked();
            }
            else if (!_armed)
            {
                _armed = true;
                _timer.Change(MaxDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Sends what is gathered now.</summary>
    public void Flush()
    {
        lock (_sync)
        {
            _armed = false;
            SendLocked();
        }
    }

    /// <summary>Sends what is left; later records are sent one batch each, at once.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
            _armed = false;
            SendLocked();
        }

        _timer.Dispose();
    }

    private void OnTimer()
    {
        try
        {
            Flush();
        }
        catch (ObjectDisposedException)
        {
            // The queue closed as the web process stopped: its last batch went with Dispose.
        }
    }

    private void SendLocked()
    {
        if (_count == 0)
        {
            return;
        }

        try
        {
            _send(_buffer.AsSpan(0, _length), _count);
        }
        finally
        {
            _length = 0;
            _count = 0;
        }
    }
}
