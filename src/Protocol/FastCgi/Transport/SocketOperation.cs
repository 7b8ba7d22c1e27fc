using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// One socket operation (connect, receive or send) on a <see cref="SocketAsyncEventArgs"/> taken from a pool shared
/// by every socket of the process, awaited as a <see cref="ValueTask"/>.
/// <para>
/// Why: a front end opens an app connection per request, and a <see cref="Socket"/>'s own awaitable operations are
/// made per socket: two event-args objects (each finalizable) with their callbacks, about a fifth of the bytes a
/// proxied request allocated, and every gen-0 collection stops all requests. Pooled, they are made once.
/// </para>
/// <para>
/// Contract: the result of each operation is read once (await it once); the event-args go back to the pool as it is
/// read, or at once when the operation completed synchronously. A pending receive or send cannot be cancelled
/// alone: it ends when its socket is closed (<see cref="ConnectionTransport.Close"/>), and then reports
/// cancellation if its token was cancelled, as <see cref="NetworkStream"/> would. A pending connect is given up by
/// closing its socket.
/// </para>
/// </summary>
internal sealed class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<int>, IValueTaskSource
{
    private const int PoolCapacity = 256;

    private static readonly Lock PoolSync = new();
    private static readonly SocketOperation?[] Pool = new SocketOperation?[PoolCapacity];
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<int> _source;
    private CancellationToken _token;
    private Kind _kind;

    private SocketOperation()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Continuations run where the operation completes (the socket engine's thread), as Socket's own do.
        _source.RunContinuationsAsynchronously = false;
    }

    private enum Kind
    {
        Receive,
        Send,
        Connect,
    }

    /// <summary>Receives into <paramref name="buffer"/>; the count is 0 at the end of the stream.</summary>
    /// <exception cref="IOException">The receive failed (the <see cref="SocketException"/> inside says why).</exception>
    public static ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        var operation = Rent(Kind.Receive, cancellationToken);
        operation.SetBuffer(buffer);
        return operation.Start(socket) ? new ValueTask<int>(operation, operation._source.Version) : operation.CompletedNow();
    }

    /// <summary>Sends all of <paramref name="buffer"/>.</summary>
    /// <exception cref="IOException">The send failed (the <see cref="SocketException"/> inside says why).</exception>
    public static ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var operation = Rent(Kind.Send, cancellationToken);
        operation.SetBuffer(MemoryMarshal.AsMemory(buffer));
        return operation.Start(socket) ? new ValueTask(operation, operation._source.Version) : WithoutCount(operation.CompletedNow());
    }

    /// <summary>
    /// Connects <paramref name="socket"/>. A connect that does not complete at once (a Unix socket's full backlog, a
    /// TCP handshake) is given up after <paramref name="timeout"/> (none when not positive), with a
    /// <see cref="TimeoutException"/>, or when <paramref name="cancellationToken"/> is cancelled. The timer is made
    /// only then: a Unix socket's connect usually completes in the call.
    /// </summary>
    /// <exception cref="SocketException">The connect failed.</exception>
    public static ValueTask ConnectAsync(Socket socket, EndPoint endPoint, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var operation = Rent(Kind.Connect, cancellationToken);
        operation.RemoteEndPoint = endPoint;
        return operation.Start(socket)
            ? WaitForConnectAsync(new ValueTask(operation, operation._source.Version), socket, timeout, time, cancellationToken)
            : WithoutCount(operation.CompletedNow());
    }

    /// <summary>
    /// The slow path of a connect that did not complete in the call: the timer and the token close the socket, which
    /// aborts the connect; whichever comes first says why. Its callbacks hold the socket, never the pooled event-args.
    /// </summary>
    private static async ValueTask WaitForConnectAsync(ValueTask connect, Socket socket, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var abort = new ConnectAbort(socket);
        var registration = cancellationToken.UnsafeRegister(static state => ((ConnectAbort)state!).Fire(ConnectAbort.Cancelled), abort);
        var timer = timeout > TimeSpan.Zero
            ? time.CreateTimer(static state => ((ConnectAbort)state!).Fire(ConnectAbort.TimedOut), abort, timeout, Timeout.InfiniteTimeSpan)
            : null;
        try
        {
            await connect.ConfigureAwait(false);
        }
        catch (Exception e) when (abort.Reason != ConnectAbort.None && e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Aborted by the close below: the reason is reported after the finally.
        }
        finally
        {
            abort.Fire(ConnectAbort.Done);
            await registration.DisposeAsync().ConfigureAwait(false);
            timer?.Dispose();
        }

        switch (abort.Reason)
        {
            case ConnectAbort.TimedOut:
                throw new TimeoutException("the connect did not complete in time");
            case ConnectAbort.Cancelled:
                throw new OperationCanceledException(cancellationToken);
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => TakeResult(token);

    void IValueTaskSource.GetResult(short token) => TakeResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        var error = SocketError;
        if (error == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(Failure(error));
        }
    }

    /// <summary>A result whose count nobody reads, as a plain <see cref="ValueTask"/>.</summary>
    private static ValueTask WithoutCount(ValueTask<int> done) => done.IsCompletedSuccessfully ? default : new ValueTask(done.AsTask());

    private static SocketOperation Rent(Kind kind, CancellationToken cancellationToken)
    {
        SocketOperation? operation = null;
        lock (PoolSync)
        {
            if (s_pooled > 0)
            {
                operation = Pool[--s_pooled];
                Pool[s_pooled] = null;
            }
        }

        operation ??= new SocketOperation();
        operation._kind = kind;
        operation._token = cancellationToken;
        return operation;
    }

    /// <summary>
    /// Starts this operation on <paramref name="socket"/>: true when it is pending (its completion comes through
    /// <see cref="OnCompleted"/>), false when it completed in the call. If the call throws (the socket is disposed),
    /// the event-args go back to the pool.
    /// </summary>
    private bool Start(Socket socket)
    {
        try
        {
            return _kind switch
            {
                Kind.Receive => socket.ReceiveAsync(this),
                Kind.Send => socket.SendAsync(this),
                _ => socket.ConnectAsync(this),
            };
        }
        catch
        {
            Return();
            throw;
        }
    }

    private int TakeResult(short token)
    {
        try
        {
            return _source.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    /// <summary>The result of an operation that completed in the call (no completion callback comes).</summary>
    private ValueTask<int> CompletedNow()
    {
        var error = SocketError;
        var count = BytesTransferred;
        var failure = error == SocketError.Success ? null : Failure(error);
        Return();
        return failure is null ? new ValueTask<int>(count) : ValueTask.FromException<int>(failure);
    }

    private Exception Failure(SocketError error)
    {
        if (error == SocketError.OperationAborted && _token.IsCancellationRequested)
        {
            return new OperationCanceledException(_token);
        }

        var inner = new SocketException((int)error);
        return _kind switch
        {
            Kind.Receive => new IOException($"Unable to read data from the transport connection: {inner.Message}.", inner),
            Kind.Send => new IOException($"Unable to write data to the transport connection: {inner.Message}.", inner),
            _ => inner,
        };
    }

    private void Return()
    {
        SetBuffer(Memory<byte>.Empty);
        RemoteEndPoint = null;
        _token = default;
        _source.Reset();
        lock (PoolSync)
        {
            if (s_pooled < PoolCapacity)
            {
                Pool[s_pooled++] = this;
                return;
            }
        }

        Dispose();
    }

    /// <summary>Why a pending connect's socket was closed, decided once by whichever of timer, token and completion comes first.</summary>
    private sealed class ConnectAbort(Socket socket)
    {
        public const int None = 0;
        public const int TimedOut = 1;
        public const int Cancelled = 2;
        public const int Done = 3;

        private int _reason;

        /// <summary>TimedOut or Cancelled when one of them closed the socket; else None.</summary>
        public int Reason
        {
            get
            {
                var reason = Volatile.Read(ref _reason);
                return reason == Done ? None : reason;
            }
        }

        public void Fire(int reason)
        {
            if (Interlocked.CompareExchange(ref _reason, reason, None) == None && reason != Done)
            {
                socket.Dispose();
            }
        }
    }
}
