using System.Buffers;
using System.IO.Pipelines;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// One request in flight on a <see cref="FastCgiClientConnection"/>. Read <see cref="Output"/> to its end, then
/// await <see cref="Completion"/>; dispose when done (disposing early aborts the request).
/// <para>
/// Lifetime of the request id: it stays taken from BEGIN_REQUEST until the application's END_REQUEST has been
/// read, the body pump has stopped, and any ABORT_REQUEST has been sent. A reference count enforces this, so a
/// late STDIN or ABORT record can never be sent under an id that a newer request already reuses.
/// </para>
/// </summary>
public sealed class FastCgiClientRequest : IAsyncDisposable
{
    private readonly FastCgiClientConnection _connection;
    private readonly Pipe _output;
    private readonly TaskCompletionSource<FastCgiRequestResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _released;
    private int _isReleased;
    private readonly Action<ReadOnlySequence<byte>>? _standardError;
    private CancellationTokenSource? _pumpCancellation;
    private Task _pump = Task.CompletedTask;
    private CancellationTokenRegistration _cancellation;
    private Exception? _abortReason;
    private int _references;
    private int _pumpSending;
    private int _disposed;
    private volatile bool _responseStarted;
    private int _ended;

    // Touched only by the connection's read loop.
    private bool _stdoutEnded;
    private bool _stderrEnded;
    private bool _outputClosed;

    /// <param name="willPump">Whether a body pump will run: its reference is taken now, before BEGIN_REQUEST is sent,
    /// so an early END_REQUEST cannot free the id while the pump is still to start.</param>
    internal FastCgiClientRequest(FastCgiClientConnection connection, ushort id, FastCgiOutgoingRequest request, PipeOptions outputOptions, bool willPump)
    {
        _connection = connection;
        _references = willPump ? 2 : 1;
        Id = id;
        _standardError = request.StandardError;
        _output = new Pipe(outputOptions);
    }

    /// <summary>The FastCGI request id (1..MaxConcurrentRequests).</summary>
    public int RequestId => Id;

    /// <summary>
    /// STDOUT bytes as they arrive (the CGI response: headers, blank line, body). Completes when END_REQUEST
    /// arrives; fails with a <see cref="FastCgiException"/> when the connection does, or with
    /// <see cref="OperationCanceledException"/> after an abort once the application acknowledges it.
    /// A read waiting for data resumes inline on the connection's read loop (one thread hop less per request):
    /// code after such a read must not block synchronously, or the connection stalls until it returns.
    /// </summary>
    public PipeReader Output => _output.Reader;

    /// <summary>
    /// Whether any STDOUT byte has arrived. While false, a failure of the connection left nothing sent to the
    /// caller's client, and the request can be retried elsewhere (if its body can be replayed).
    /// </summary>
    public bool ResponseStarted => _responseStarted;

    /// <summary>
    /// The END_REQUEST outcome. Faults like <see cref="Output"/>; cancelled when the request is aborted. Read
    /// <see cref="Output"/> before awaiting this: the application may block until its output is consumed.
    /// </summary>
    public Task<FastCgiRequestResult> Completion => _completion.Task;

    /// <summary>
    /// Completes when the request id is free again: END_REQUEST was read (or the connection failed), the body
    /// pump stopped and any ABORT_REQUEST was sent. After an abort this comes only once the application has
    /// acknowledged it; a pool should give the connection out again only then. Never faults.
    /// </summary>
    public Task Released
    {
        get
        {
            // Made on demand: most callers never ask, and a request is allocated per HTTP request.
            if (Volatile.Read(ref _isReleased) != 0)
            {
                return Task.CompletedTask;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var released = Interlocked.CompareExchange(ref _released, created, null) ?? created;

            // The compare-exchange is a full fence: a release that raced with it is seen here or sees the source.
            if (Volatile.Read(ref _isReleased) != 0)
            {
                released.TrySetResult();
            }

            return released.Task;
        }
    }

    internal ushort Id { get; }

    internal void OnReleased()
    {
        Interlocked.Exchange(ref _isReleased, 1);
        Volatile.Read(ref _released)?.TrySetResult();
    }

    /// <summary>END_REQUEST was read or the connection failed: the application is done with this request.</summary>
    internal bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>Abort was asked for: the body pump stops at its next chunk.</summary>
    internal bool IsAborting => Volatile.Read(ref _abortReason) is not null;

    /// <summary>Sends ABORT_REQUEST (once) unless the request already ended, and stops sending the body.</summary>
    public void Abort() => Abort(null);

    /// <summary>
    /// Aborts unless ended, completes <see cref="Output"/> and waits for the body pump to let go of the body. If the
    /// body was being sent at that moment, the connection is closed: an application that does not read the body
    /// would otherwise hold the send (and this call) forever.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!IsEnded)
        {
            Abort();

            // Abort set its flag with a full fence; the pump announces a send before its last look at that flag.
            // So either the pump sees the abort and sends nothing more, or this sees the send in progress.
            if (Volatile.Read(ref _pumpSending) != 0)
            {
                _connection.CloseAbandoned();
            }
        }

        await _cancellation.DisposeAsync().ConfigureAwait(false);
        await _output.Reader.CompleteAsync().ConfigureAwait(false);

        // The caller owns the body reader: it must not be touched once this returns.
        await _pump.ConfigureAwait(false);
    }

    internal void Abort(Exception? reason, CancellationToken cancelled = default)
    {
        // The reason doubles as the flag, set once with a full fence: whoever sees the flag sees the reason.
        var abortReason = reason ?? new OperationCanceledException("the FastCGI request was aborted", cancelled);
        if (Interlocked.CompareExchange(ref _abortReason, abortReason, null) is not null)
        {
            return;
        }

        if (reason is null)
        {
            _completion.TrySetCanceled(cancelled);
        }
        else
        {
            _completion.TrySetException(reason);
        }

        Volatile.Read(ref _pumpCancellation)?.Cancel();
        if (!IsEnded && TryAddReference())
        {
            _ = _connection.SendAbortAsync(this);
        }
    }

    internal void RegisterCancellation(CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) => ((FastCgiClientRequest)state!).Abort(null, token),
            this);
    }

    /// <summary>Starts streaming the body (and DATA for FILTER) in the background, with the reference taken at construction.</summary>
    internal void StartPump(PipeReader? body, PipeReader? data, bool sendData)
    {
        var cancellation = new CancellationTokenSource();
        Interlocked.Exchange(ref _pumpCancellation, cancellation);
        if (IsAborting)
        {
            cancellation.Cancel();
        }

        _pump = PumpAsync(body, data, sendData, cancellation.Token);
    }

    private async Task PumpAsync(PipeReader? body, PipeReader? data, bool sendData, CancellationToken cancellationToken)
    {
        // Run the first body read off the caller's stack: BeginRequestAsync returns as soon as the headers are sent.
        await Task.Yield();
        try
        {
            if (body is not null && !await _connection.SendStreamAsync(this, FastCgiRecordType.Stdin, body, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (sendData)
            {
                await _connection.SendStreamAsync(this, FastCgiRecordType.Data, data, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Aborted: the abort path reports it.
        }
        catch (Exception e)
        {
            // The body source failed (e.g. the HTTP client went away): nobody will read the answer.
            Abort(e);
        }
        finally
        {
            Release();
        }
    }

    internal void SetPumpSending(bool sending) => Interlocked.Exchange(ref _pumpSending, sending ? 1 : 0);

    internal bool TryAddReference()
    {
        var count = Volatile.Read(ref _references);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _connection.ReleaseSlot(this);
        }
    }

    // ---- Read loop side ----

    /// <returns>True when bytes were added to <see cref="Output"/> and need a flush.</returns>
    internal bool OnStdout(in ReadOnlySequence<byte> content)
    {
        if (content.IsEmpty)
        {
            _stdoutEnded = true;
            return false;
        }

        if (_stdoutEnded)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordOrder, "STDOUT after the end of the STDOUT stream", Id);
        }

        _responseStarted = true;
        if (_outputClosed || IsAborting)
        {
            return false;
        }

        var writer = _output.Writer;
        foreach (var segment in content)
        {
            writer.Write(segment.Span);
        }

        return true;
    }

    internal void OnStderr(in ReadOnlySequence<byte> content)
    {
        if (content.IsEmpty)
        {
            _stderrEnded = true;
            return;
        }

        if (_stderrEnded)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordOrder, "STDERR after the end of the STDERR stream", Id);
        }

        if (_standardError is null || IsAborting)
        {
            return;
        }

        try
        {
            _standardError(content);
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }

    /// <summary>Makes written STDOUT visible to the reader; waits while the reader is behind (backpressure).</summary>
    internal async ValueTask FlushOutputAsync()
    {
        if (_outputClosed)
        {
            return;
        }

        var result = await _output.Writer.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted)
        {
            // The caller completed Output: drop the rest instead of buffering it.
            CloseOutput(null);
        }
    }

    /// <summary>Wakes the read loop if it waits in <see cref="FlushOutputAsync"/>; any thread.</summary>
    internal void CancelPendingFlush() => _output.Writer.CancelPendingFlush();

    internal void OnEnd(FastCgiEndRequestBody body)
    {
        if (!TryMarkEnded())
        {
            return;
        }

        // Id, result, then output: a caller woken by the end of the output finds the request settled and
        // (without a pump) the connection ready for its next request.
        Release();
        _completion.TrySetResult(new FastCgiRequestResult(body.AppStatus, body.ProtocolStatus));
        CloseOutput(Volatile.Read(ref _abortReason));
    }

    internal void OnConnectionFailed(Exception reason)
    {
        if (!TryMarkEnded())
        {
            return;
        }

        var error = FastCgiClientConnection.ExceptionForRequest(reason, _responseStarted);
        CloseOutput(Volatile.Read(ref _abortReason) ?? error);
        _completion.TrySetException(error);
        Release();
    }

    /// <summary>Frees the id of a request whose BEGIN_REQUEST was never sent, pump reference included.</summary>
    internal void OnNeverBegun()
    {
        TryMarkEnded();
        if (Interlocked.Exchange(ref _references, 0) > 0)
        {
            _connection.ReleaseSlot(this);
        }
    }

    private bool TryMarkEnded()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return false;
        }

        _connection.OnRequestEnded();
        return true;
    }

    private void CloseOutput(Exception? error)
    {
        if (_outputClosed)
        {
            return;
        }

        _outputClosed = true;
        _output.Writer.Complete(error);
    }
}
