using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// The C records of a web process (one per dynamic request: its queue and service time), gathered and sent to the PM
/// together: one write(2), and one wake-up of the PM, per batch instead of per request. Measured on a microsecond
/// hello app at c=8-64, the PM spent 22-50 µs of CPU per request reading them one write at a time, and 9-14 µs in
/// batches (/proc, beside the web process's own CPU).
/// <para>
/// A record that comes <see cref="MaxDelay"/> or more after the last batch left goes at once, alone: under light load
/// every record goes as it comes, as before batching (instead of up to <see cref="IdleDelay"/> later, with the
/// timer), so the policy's figures are as fresh as they were; an app's first C record, for one, decides whether a
/// burst of waiting requests are short ones, held to the cores, or not. Under load, records within MaxDelay of a send
/// begin a batch, so the writes saved stay saved.
/// </para>
/// <para>
/// When a batch leaves: with the first record added <see cref="MaxDelay"/> or more after the batch's first, on that
/// request's own thread (no timer while requests keep coming); else, when requests stop, a timer sends what is left
/// <see cref="IdleDelay"/> after the batch began. A timer per batch would wake a thread-pool worker 200 times a
/// second, and its spinning cost more than the writes saved.
/// </para>
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
    /// <summary>While requests keep coming, the longest a C record waits for the ones after it.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>After the last request, the longest its C record waits (the engine reacts to completions within 50 ms).</summary>
    public static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(40);

    private readonly Sink _send;
    private readonly Lock _sync = new();
    private readonly byte[] _buffer = new byte[QueueRecordCodec.MaxRecordBytes];
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private long _firstAt;
    private long _lastSentAt;
    private bool _sentOnce;
    private int _length;
    private int _count;
    private bool _armed;
    private bool _disposed;

    /// <param name="send">Sends whole encoded records, back to back (<see cref="QueueWriter.WriteEncoded"/>); called
    /// with this batch's lock held, so batches leave in order.</param>
    public CompletionBatch(TimeProvider time, Sink send)
    {
        _send = send;
        _time = time;
        _timer = time.CreateTimer(static state => ((CompletionBatch)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where a batch goes: <paramref name="records"/> holds <paramref name="count"/> encoded records.</summary>
    public delegate void Sink(ReadOnlySpan<byte> records, int count);

    /// <summary>
    /// Adds a record to the batch; it leaves with the batch (see the class comment), at once after <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The record cannot be encoded (see <see cref="QueueRecordCodec.Encode"/>).</exception>
    public void Add(in QueueRecord record)
    {
        var size = QueueRecordCodec.GetEncodedLength(record);
        var now = _time.GetTimestamp();
        lock (_sync)
        {
            if (_length + size > _buffer.Length)
            {
                SendLocked();
            }

            if (_count == 0)
            {
                _firstAt = now;
            }

            _length += QueueRecordCodec.Encode(record, _buffer.AsSpan(_length));
            _count++;
            var quiet = _count == 1 && (!_sentOnce || _time.GetElapsedTime(_lastSentAt, now) >= MaxDelay);
            if (_disposed || quiet || _time.GetElapsedTime(_firstAt, now) >= MaxDelay)
            {
                // After Dispose nobody would send it later; after a quiet spell it goes alone at once; else the
                // batch is old enough to go.
                SendLocked();
            }
            else if (!_armed)
            {
                // Armed once, not per batch: while requests come, batches leave from Add before it fires.
                _armed = true;
                _timer.Change(IdleDelay, Timeout.InfiniteTimeSpan);
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
            _lastSentAt = _time.GetTimestamp();
            _sentOnce = true;
        }
    }
}
