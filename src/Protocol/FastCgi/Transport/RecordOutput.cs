using System.Buffers;
using System.Runtime.CompilerServices;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The send direction of one connection, shared by every request on it.
/// <para>
/// Constraints: records of different requests may interleave on a multiplexed connection, but the bytes of one
/// record may not; and a record must never be half-sent, because the peer would then misread everything after
/// it. Scheme: a writer enters an async gate (the equivalent of a single-reader channel, without a per-item
/// allocation, and with backpressure reaching the writer directly), encodes whole records into a pooled buffer,
/// and sends them with one write before leaving. Only the wait for the gate can be cancelled; a send in progress
/// is never cancelled, it only fails when the socket does. After a failure every later entry is refused.
/// </para>
/// </summary>
internal sealed class RecordOutput
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PooledBufferWriter _buffer = new();
    private Exception? _failure;

    public RecordOutput(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>Why the output stopped, or null while it works.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// Waits for exclusive use of the output. Returns false, without holding it, when the output has failed.
    /// On true the caller must write whole records into <see cref="Writer"/> and call <see cref="SendAndExitAsync"/>
    /// or <see cref="AbandonAndExit"/>.
    /// </summary>
    public ValueTask<bool> TryEnterAsync(CancellationToken cancellationToken)
    {
        var wait = _gate.WaitAsync(cancellationToken);
        return wait.IsCompletedSuccessfully ? new ValueTask<bool>(Entered()) : EnterSlowAsync(wait);
    }

    /// <summary>Where the holder of the gate encodes its records.</summary>
    public IBufferWriter<byte> Writer => _buffer;

    /// <summary>Sends what was written and releases the gate. Returns false when the send failed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> SendAndExitAsync()
    {
        try
        {
            if (_buffer.WrittenCount > 0)
            {
                // Not cancellable on purpose: a partly sent record would corrupt the stream.
                await _stream.WriteAsync(_buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            Fail(e);
            return false;
        }
        finally
        {
            _buffer.Reset();
            _gate.Release();
        }
    }

    /// <summary>
    /// Releases the gate after an encoding error left partial records in the buffer. Nothing of them was sent,
    /// but the request they belonged to is now half-begun, so they are dropped and the output is failed.
    /// </summary>
    public void AbandonAndExit(Exception reason)
    {
        Fail(reason);
        _buffer.Reset();
        _gate.Release();
    }

    /// <summary>Releases the gate without sending; nothing may have been written.</summary>
    public void Exit()
    {
        _buffer.Reset();
        _gate.Release();
    }

    /// <summary>Refuses every later entry. Called by whoever closes the connection.</summary>
    public void Fail(Exception reason) => Interlocked.CompareExchange(ref _failure, reason, null);

    private bool Entered()
    {
        if (Volatile.Read(ref _failure) is null)
        {
            return true;
        }

        _gate.Release();
        return false;
    }

    private async ValueTask<bool> EnterSlowAsync(Task wait)
    {
        await wait.ConfigureAwait(false);
        return Entered();
    }
}
