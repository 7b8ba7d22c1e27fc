using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The web-server side of one FastCGI transport connection (Unix or TCP socket).
/// <para>
/// Scheme: one read loop owns the receive direction and dispatches records by request id into per-request
/// pipes; requests share the send direction through <see cref="RecordOutput"/>, so their records never
/// interleave mid-record. A request's body is pumped into STDIN records as it is read, with the socket's
/// backpressure; its STDOUT is exposed as it arrives, and a slow reader stops the read loop (the application
/// then blocks writing) instead of growing a buffer. Any protocol violation, idle timeout or socket error
/// closes this connection and fails every request still on it; nothing else is affected.
/// </para>
/// <para>Thread safety: all public members may be called concurrently.</para>
/// </summary>
public sealed class FastCgiClientConnection : IAsyncDisposable, IIdleWatched
{
    private const int MaxBodyChunk = 4 * FastCgiConstants.MaxAlignedContentLength;

    private static readonly FastCgiConnectionClosedException ClosedByPeer =
        new("the FastCGI application closed the connection", responseStarted: false);

    // The reason of a close asked for by the owner, shared as ClosedByPeer is: it is never thrown itself, only given as
    // the inner exception of what requests still on the connection see, and a front end closes one per request.
    private static readonly FastCgiConnectionClosedException ClosedByOwner =
        new("the FastCGI connection was disposed", responseStarted: false);

    /// <summary>The connection whose read loop is running callers' code inline on this thread (Output readers), if any.</summary>
    [ThreadStatic]
    private static FastCgiClientConnection? t_runningReaders;

    /// <summary>The response pipes' options for the last limit asked for (<see cref="OutputPipeOptions"/>).</summary>
    private static PipeOptions? s_outputPipeOptions;

    private readonly ConnectionTransport _transport;
    private readonly FastCgiClientOptions _options;
    private readonly PipeOptions _outputPipeOptions;
    private readonly FastCgiClientRequest?[] _slots;
    private readonly Lock _sync = new();
    private SemaphoreSlim? _managementGate;
    private readonly List<FastCgiClientRequest> _dirty = [];
    private readonly IdleWatchdog? _watchdog;
    private readonly Task _readLoop;
    private int _active;
    private int _awaitingEnd;
    private bool _used;
    private Exception? _closeReason;
    private TaskCompletionSource<FastCgiParams>? _pendingValues;
    private volatile bool _readerBlockedOnCaller;
    private FastCgiClientRequest? _flushing;

    private FastCgiClientConnection(Socket socket, EndPoint? remoteEndPoint, FastCgiClientOptions options)
    {
        options.Validate();
        _options = options;
        RemoteEndPoint = remoteEndPoint;
        _transport = new ConnectionTransport(socket, options.ReceiveBufferSize);
        _slots = new FastCgiClientRequest?[options.MaxConcurrentRequests];
        _outputPipeOptions = OutputPipeOptions(options.Limits.MaxBufferedStreamBytes);
        if (options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            _watchdog = new IdleWatchdog(options.TimeProvider, options.IdleTimeout, this);
        }

        // The read loop must not inherit the connecting caller's async-local state (activities, scopes). It starts
        // here, not on the thread pool: its first read only registers with the socket engine, and a front end that
        // opens a connection per request saves a thread wake-up per request (bench/PmBench frontend).
        using (ExecutionContext.SuppressFlow())
        {
            _readLoop = ReadLoopAsync();
        }
    }

    /// <summary>
    /// The options of every response pipe buffering at most <paramref name="maxBuffered"/> bytes, made once per
    /// limit: a front end opens a connection per request, and these are the same for all of them. The caller's read
    /// of a response resumes inline on the read loop: measured here, it saves about a tenth of the client's CPU per
    /// request against a thread-pool hop (bench/FastCgiBench).
    /// </summary>
    private static PipeOptions OutputPipeOptions(long maxBuffered)
    {
        var cached = Volatile.Read(ref s_outputPipeOptions);
        if (cached is not null && cached.PauseWriterThreshold == maxBuffered)
        {
            return cached;
        }

        cached = new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: maxBuffered,
            resumeWriterThreshold: maxBuffered / 2,
            minimumSegmentSize: 8192,
            useSynchronizationContext: false);
        Volatile.Write(ref s_outputPipeOptions, cached);
        return cached;
    }

    /// <summary>Whatever the owner wants to find from the connection (a pool's bookkeeping); not used by the connection.</summary>
    public object? State { get; set; }

    /// <summary>The application's address, when known.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Requests whose id is taken (begun and not yet fully finished).</summary>
    public int ActiveRequestCount => Volatile.Read(ref _active);

    /// <summary>False once the connection failed, was closed by the application, or was disposed.</summary>
    public bool IsConnected => Volatile.Read(ref _closeReason) is null;

    /// <summary>
    /// Whether <see cref="BeginRequestAsync(FastCgiOutgoingRequest, CancellationToken)"/> would accept a request
    /// now: connected, a request id free, and either keep-conn or not used yet.
    /// </summary>
    public bool CanBeginRequest
    {
        get
        {
            lock (_sync)
            {
                return _closeReason is null && _active < _slots.Length && (_options.KeepConnection || !_used);
            }
        }
    }

    /// <summary>Completes when the connection has closed and every request on it has been failed or finished.</summary>
    public Task Closed => _readLoop;

    /// <summary>Connects to <paramref name="endPoint"/> (a <see cref="UnixDomainSocketEndPoint"/>, IP or DNS end point).</summary>
    /// <exception cref="FastCgiConnectException">Nothing accepts connections there.</exception>
    public static async Task<FastCgiClientConnection> ConnectAsync(EndPoint endPoint, FastCgiClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= FastCgiClientOptions.Default;
        options.Validate();
        var socket = CreateSocket(endPoint);
        try
        {
            await ConnectAsync(socket, endPoint, Timeout.InfiniteTimeSpan, options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new FastCgiConnectException(endPoint, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new FastCgiClientConnection(socket, endPoint, options);
    }

    /// <summary>
    /// Connects a socket of <see cref="CreateSocket"/>, giving up after <paramref name="timeout"/> (none when not
    /// positive) with a <see cref="TimeoutException"/>. Unix and IP addresses connect on pooled event-args, with no
    /// allocation when the connect completes in the call, as a Unix socket's usually does, and a timer only when it
    /// waits; host names through <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/>, which resolves them.
    /// </summary>
    /// <exception cref="SocketException">The connect failed.</exception>
    public static ValueTask ConnectAsync(Socket socket, EndPoint endPoint, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(time);
        return endPoint is UnixDomainSocketEndPoint or IPEndPoint
            ? SocketOperation.ConnectAsync(socket, endPoint, timeout, time, cancellationToken)
            : ConnectByNameAsync(socket, endPoint, timeout, time, cancellationToken);
    }

    private static async ValueTask ConnectByNameAsync(Socket socket, EndPoint endPoint, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var timer = new CancellationTokenSource(timeout, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            await socket.ConnectAsync(endPoint, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("the connect did not complete in time");
        }
    }

    /// <summary>
    /// A stream socket of the right family for <paramref name="endPoint"/>, not yet connected; TCP ones send at once
    /// (Nagle off: FastCGI records are small and the next one waits for the answer).
    /// </summary>
    public static Socket CreateSocket(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = endPoint switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            DnsEndPoint { AddressFamily: AddressFamily.Unspecified } => new Socket(SocketType.Stream, ProtocolType.Tcp),
            _ => new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
        };
        if (socket.AddressFamily != AddressFamily.Unix)
        {
            socket.NoDelay = true;
        }

        return socket;
    }

    /// <summary>
    /// Wraps an already connected socket, taking ownership of it. Give <paramref name="remoteEndPoint"/> when it is
    /// known (it saves a getpeername per connection); otherwise it is asked of the socket.
    /// </summary>
    public static FastCgiClientConnection Create(Socket connectedSocket, FastCgiClientOptions? options = null, EndPoint? remoteEndPoint = null)
    {
        ArgumentNullException.ThrowIfNull(connectedSocket);
        return new FastCgiClientConnection(connectedSocket, remoteEndPoint ?? connectedSocket.RemoteEndPoint, options ?? FastCgiClientOptions.Default);
    }

    /// <summary>Begins a RESPONDER request with the given CGI variables and optional body.</summary>
    public ValueTask<FastCgiClientRequest> BeginRequestAsync(
        IReadOnlyList<KeyValuePair<string, string>> parameters,
        PipeReader? body = null,
        CancellationToken cancellationToken = default) =>
        BeginRequestAsync(new FastCgiOutgoingRequest { Parameters = parameters, Body = body }, cancellationToken);

    /// <summary>
    /// Sends BEGIN_REQUEST and the PARAMS stream (with an empty STDIN when there is no body) in one write, then
    /// streams the body in the background. Returns once the request is on the wire.
    /// <paramref name="cancellationToken"/> covers the whole request: cancelling it later aborts the request.
    /// </summary>
    /// <exception cref="FastCgiConnectionClosedException">The connection is closed (ResponseStarted is false: retry elsewhere).</exception>
    /// <exception cref="InvalidOperationException">No request id is free, or the connection was not kept and is used up.</exception>
    public async ValueTask<FastCgiClientRequest> BeginRequestAsync(FastCgiOutgoingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Parameters);
        cancellationToken.ThrowIfCancellationRequested();

        var isFilter = request.Role == FastCgiRole.Filter;
        var pumpData = isFilter && (request.Body is not null || request.Data is not null);
        var willPump = request.Body is not null || pumpData;
        var started = Allocate(request, willPump);

        var output = _transport.Output;
        bool entered;
        try
        {
            entered = await output.TryEnterAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            started.OnNeverBegun();
            throw;
        }

        if (!entered)
        {
            started.OnNeverBegun();
            throw NotConnected();
        }

        if (started.IsEnded)
        {
            // The read loop failed the connection between allocation and now.
            output.Exit();
            started.OnNeverBegun();
            throw NotConnected();
        }

        try
        {
            var writer = output.Writer;
            var flags = _options.KeepConnection ? FastCgiBeginRequestFlags.KeepConnection : FastCgiBeginRequestFlags.None;
            FastCgiRecordWriter.WriteBeginRequest(writer, started.Id, request.Role, flags);
            if (request.EncodedParameters.IsEmpty)
            {
                FastCgiRecordWriter.WriteParams(writer, started.Id, request.Parameters);
            }
            else
            {
                FastCgiRecordWriter.WriteStream(writer, FastCgiRecordType.Params, started.Id, request.EncodedParameters.Span);
                FastCgiRecordWriter.WriteEndOfStream(writer, FastCgiRecordType.Params, started.Id);
            }
            if (request.Body is null)
            {
                FastCgiRecordWriter.WriteEndOfStream(writer, FastCgiRecordType.Stdin, started.Id);
                if (isFilter && request.Data is null)
                {
                    FastCgiRecordWriter.WriteEndOfStream(writer, FastCgiRecordType.Data, started.Id);
                }
            }
        }
        catch (Exception e)
        {
            output.AbandonAndExit(e);
            started.OnNeverBegun();
            Close(e);
            throw;
        }

        _watchdog?.MarkActivity();
        if (!await output.SendAndExitAsync().ConfigureAwait(false))
        {
            // The read loop fails the request itself; only the pump's reference is ours to return.
            Close(output.Failure!);
            if (willPump)
            {
                started.Release();
            }

            throw NotConnected();
        }

        if (willPump)
        {
            started.StartPump(request.Body, request.Data, pumpData);
        }

        if (cancellationToken.CanBeCanceled)
        {
            started.RegisterCancellation(cancellationToken);
        }

        return started;
    }

    /// <summary>
    /// Asks the application for management variables (GET_VALUES) and returns what it answered; unknown names
    /// are left out. Null asks for FCGI_MAX_CONNS, FCGI_MAX_REQS and FCGI_MPXS_CONNS. Queries on one connection
    /// run one at a time. Cancelling a query closes the connection (its reply could no longer be matched).
    /// </summary>
    public async Task<FastCgiParams> GetValuesAsync(IReadOnlyList<string>? names = null, CancellationToken cancellationToken = default)
    {
        names ??= FastCgiManagementVariables.All;
        var query = new KeyValuePair<string, string>[names.Count];
        for (var i = 0; i < query.Length; i++)
        {
            query[i] = new KeyValuePair<string, string>(names[i], string.Empty);
        }

        // Made on first use: most connections (one request each) never send a management record.
        var gate = LazyInitializer.EnsureInitialized(ref _managementGate, static () => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reply = new TaskCompletionSource<FastCgiParams>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_sync)
            {
                if (_closeReason is not null)
                {
                    throw NotConnected();
                }

                _pendingValues = reply;
            }

            var output = _transport.Output;
            if (!await output.TryEnterAsync(cancellationToken).ConfigureAwait(false))
            {
                throw NotConnected();
            }

            try
            {
                FastCgiRecordWriter.WriteManagementPairs(output.Writer, FastCgiRecordType.GetValues, query);
            }
            catch (Exception e)
            {
                output.Exit();
                lock (_sync)
                {
                    _pendingValues = null;
                }

                if (e is ArgumentException)
                {
                    throw;
                }

                Close(e);
                throw;
            }

            _watchdog?.MarkActivity();
            if (!await output.SendAndExitAsync().ConfigureAwait(false))
            {
                Close(output.Failure!);
            }

            try
            {
                return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Close(new FastCgiConnectionClosedException("a GET_VALUES query was cancelled", responseStarted: false));
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    bool IIdleWatched.IsWaitingOnPeer =>
        !_readerBlockedOnCaller && (Volatile.Read(ref _awaitingEnd) > 0 || Volatile.Read(ref _pendingValues) is not null);

    void IIdleWatched.OnIdleTimeout() => OnIdleTimeout();

    private void OnIdleTimeout()
    {
        try
        {
            _options.OnIdleTimeout?.Invoke(this);
        }
        catch (Exception)
        {
            // An observer's failure must not keep the connection open: the timeout is what gets reported.
        }

        Close(new FastCgiIdleTimeoutException(_options.IdleTimeout, responseStarted: false));
    }

    /// <summary>Closes the connection, failing what is still in flight, and waits for the read loop to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(ClosedByOwner);
        await _readLoop.ConfigureAwait(false);
        _watchdog?.Dispose();
    }

    /// <summary>
    /// Closes the connection as <see cref="DisposeAsync"/> does, without waiting for the read loop, which finishes on
    /// its own (<see cref="Closed"/>). For an owner with nothing to wait for, such as a front end giving back a
    /// one-request connection from inside the read loop's callback: no state machine and no task per connection.
    /// </summary>
    public void Close() => Close(ClosedByOwner);

    internal static Exception ExceptionForRequest(Exception reason, bool responseStarted) => reason switch
    {
        FastCgiProtocolException => reason,
        FastCgiIdleTimeoutException timeout => new FastCgiIdleTimeoutException(timeout.Timeout, responseStarted),
        FastCgiConnectionClosedException closed => new FastCgiConnectionClosedException(closed.Message, responseStarted, closed.InnerException),
        _ => new FastCgiConnectionClosedException($"the FastCGI connection failed: {reason.Message}", responseStarted, reason),
    };

    /// <summary>A request stopped waiting on the application (END_REQUEST, failure, or never sent).</summary>
    internal void OnRequestEnded() => Interlocked.Decrement(ref _awaitingEnd);

    internal void ReleaseSlot(FastCgiClientRequest request)
    {
        lock (_sync)
        {
            if (_slots[request.Id - 1] == request)
            {
                _slots[request.Id - 1] = null;
                _active--;
            }
        }

        request.OnReleased();
    }

    /// <summary>
    /// Streams <paramref name="source"/> into records of <paramref name="type"/>, then the empty record that
    /// ends the stream (a null source sends only that). Returns false when it stopped because the request ended
    /// or the connection failed.
    /// </summary>
    internal async Task<bool> SendStreamAsync(FastCgiClientRequest request, FastCgiRecordType type, PipeReader? source, CancellationToken cancellationToken)
    {
        var output = _transport.Output;
        while (true)
        {
            var chunk = ReadOnlySequence<byte>.Empty;
            var last = true;
            if (source is not null)
            {
                var result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("the request body read was cancelled");
                }

                // Bounded chunks keep the send buffer small whatever the reader hands out.
                chunk = result.Buffer.Length > MaxBodyChunk ? result.Buffer.Slice(0, MaxBodyChunk) : result.Buffer;
                last = result.IsCompleted && chunk.Length == result.Buffer.Length;
            }

            var released = false;
            try
            {
                if (chunk.IsEmpty && !last)
                {
                    continue;
                }

                if (!await output.TryEnterAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                // Announce the send before the last look at the abort flag (see FastCgiClientRequest.DisposeAsync).
                request.SetPumpSending(true);
                if (request.IsEnded || request.IsAborting)
                {
                    // The application ended the request without reading all of it, or it is being aborted: stop sending.
                    request.SetPumpSending(false);
                    output.Exit();
                    return false;
                }

                FastCgiRecordWriter.WriteStream(output.Writer, type, request.Id, chunk);
                if (last)
                {
                    FastCgiRecordWriter.WriteEndOfStream(output.Writer, type, request.Id);
                }

                // The bytes are copied: let go of the caller's body before a send that may block for long.
                source?.AdvanceTo(chunk.End);
                released = true;
                var sent = await output.SendAndExitAsync().ConfigureAwait(false);
                request.SetPumpSending(false);
                if (!sent)
                {
                    Close(output.Failure!);
                    return false;
                }

                _watchdog?.MarkActivity();
            }
            finally
            {
                if (!released)
                {
                    source?.AdvanceTo(chunk.End);
                }
            }

            if (last)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Closes the connection because a request was abandoned while its body was being sent: the application is not
    /// reading it, so neither the rest of the body nor ABORT_REQUEST could get through.
    /// </summary>
    internal void CloseAbandoned() =>
        Close(new FastCgiConnectionClosedException("a request was abandoned while its body was being sent", responseStarted: false));

    internal async Task SendAbortAsync(FastCgiClientRequest request)
    {
        try
        {
            var output = _transport.Output;
            if (await output.TryEnterAsync(CancellationToken.None).ConfigureAwait(false))
            {
                FastCgiRecordWriter.WriteAbortRequest(output.Writer, request.Id);
                if (!await output.SendAndExitAsync().ConfigureAwait(false))
                {
                    Close(output.Failure!);
                }
            }
        }
        finally
        {
            request.Release();
        }
    }

    private FastCgiClientRequest Allocate(FastCgiOutgoingRequest request, bool willPump)
    {
        lock (_sync)
        {
            if (_closeReason is not null)
            {
                throw NotConnected();
            }

            if (!_options.KeepConnection && _used)
            {
                throw new InvalidOperationException("this FastCGI connection was opened without keep-conn and has served its request");
            }

            var index = Array.IndexOf(_slots, null);
            if (index < 0)
            {
                throw new InvalidOperationException($"this FastCGI connection already has {_slots.Length} request(s) in flight");
            }

            var started = new FastCgiClientRequest(this, (ushort)(index + 1), request, _outputPipeOptions, willPump);
            _slots[index] = started;
            _active++;
            _used = true;
            Interlocked.Increment(ref _awaitingEnd);
            return started;
        }
    }

    private FastCgiConnectionClosedException NotConnected() =>
        new($"the FastCGI connection is closed: {Volatile.Read(ref _closeReason)?.Message ?? "output failed"}", responseStarted: false, Volatile.Read(ref _closeReason));

    /// <summary>Closes the connection for <paramref name="reason"/> (the first reason wins). Any thread.</summary>
    private void Close(Exception reason) => Close(reason, peerClosed: false);

    /// <param name="peerClosed">The read loop saw the end of the stream: no receive is pending, so the socket is only closed.</param>
    private void Close(Exception reason, bool peerClosed)
    {
        lock (_sync)
        {
            if (_closeReason is not null)
            {
                return;
            }

            _closeReason = reason;
        }

        // No shutdown either when a reader resumed inline on this connection's read loop closes it: the loop is
        // not waiting in a receive, and it sees the cancelled read below at once. That is how a front end ends a
        // one-request connection, and the shutdown was a tenth of its CPU per request (bench/PmBench frontend).
        _transport.Close(reason, shutdown: !peerClosed && !ReferenceEquals(t_runningReaders, this));
        _transport.Input.CancelPendingRead();
        Volatile.Read(ref _flushing)?.CancelPendingFlush();
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        Exception reason = ClosedByPeer;
        var peerClosed = false;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                _watchdog?.MarkActivity();

                var buffer = result.Buffer;
                var outer = t_runningReaders;
                t_runningReaders = this;
                try
                {
                    while (FastCgiRecordReader.TryRead(ref buffer, out var record))
                    {
                        Dispatch(record);
                    }
                }
                finally
                {
                    t_runningReaders = outer;
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (_dirty.Count > 0)
                {
                    await FlushDirtyAsync().ConfigureAwait(false);
                }

                if (result.IsCompleted || result.IsCanceled || Volatile.Read(ref _closeReason) is not null)
                {
                    if (!buffer.IsEmpty && Volatile.Read(ref _closeReason) is null)
                    {
                        reason = new FastCgiConnectionClosedException(
                            "the FastCGI application closed the connection in the middle of a record",
                            responseStarted: false,
                            new FastCgiProtocolException(FastCgiErrorKind.TruncatedRecord, $"{buffer.Length} bytes of an incomplete record"));
                    }

                    peerClosed = result.IsCompleted;
                    break;
                }
            }
        }
        catch (Exception e)
        {
            reason = e;
        }

        Close(reason, peerClosed);
        var effective = Volatile.Read(ref _closeReason)!;
        FastCgiClientRequest?[] slots;
        lock (_sync)
        {
            slots = (FastCgiClientRequest?[])_slots.Clone();
        }

        foreach (var request in slots)
        {
            request?.OnConnectionFailed(effective);
        }

        TaskCompletionSource<FastCgiParams>? pending;
        lock (_sync)
        {
            pending = _pendingValues;
            _pendingValues = null;
        }

        pending?.TrySetException(ExceptionForRequest(effective, responseStarted: false));
        await input.CompleteAsync().ConfigureAwait(false);
        _watchdog?.Dispose();
    }

    private void Dispatch(in FastCgiRecord record)
    {
        switch (record.Type)
        {
            case FastCgiRecordType.Stdout:
                var reading = Lookup(record);
                if (reading.OnStdout(record.Content) && !_dirty.Contains(reading))
                {
                    _dirty.Add(reading);
                }

                break;
            case FastCgiRecordType.Stderr:
                Lookup(record).OnStderr(record.Content);
                break;
            case FastCgiRecordType.EndRequest:
                var ending = Lookup(record);
                _dirty.Remove(ending);
                ending.OnEnd(FastCgiEndRequestBody.Read(record.Content));
                break;
            case FastCgiRecordType.GetValuesResult:
                CompleteManagementQuery(record, FastCgiParams.Parse(record.Content, _options.Limits));
                break;
            case FastCgiRecordType.UnknownType:
                // The application does not know GET_VALUES: it reports nothing.
                CompleteManagementQuery(record, FastCgiParams.Empty);
                break;
            default:
                throw new FastCgiProtocolException(
                    FastCgiErrorKind.UnexpectedRecordType,
                    $"record type {(byte)record.Type} is never sent to a web server",
                    record.RequestId);
        }
    }

    private FastCgiClientRequest Lookup(in FastCgiRecord record)
    {
        var id = record.RequestId;
        var request = id <= _slots.Length ? Volatile.Read(ref _slots[id - 1]) : null;
        if (request is null || request.IsEnded)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnknownRequestId, $"{record.Type} for a request that is not in flight", id);
        }

        return request;
    }

    private void CompleteManagementQuery(in FastCgiRecord record, FastCgiParams values)
    {
        TaskCompletionSource<FastCgiParams>? pending;
        lock (_sync)
        {
            pending = _pendingValues;
            _pendingValues = null;
        }

        if (pending is null)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedManagementRecord, $"{record.Type} without a GET_VALUES query");
        }

        pending.TrySetResult(values);
    }

    private async ValueTask FlushDirtyAsync()
    {
        // Flushing once per batch of records, not per record, wakes each reader once per socket read.
        for (var i = 0; i < _dirty.Count; i++)
        {
            var request = _dirty[i];
            Interlocked.Exchange(ref _flushing, request);
            if (Volatile.Read(ref _closeReason) is not null)
            {
                break;
            }

            ValueTask flush;
            var outer = t_runningReaders;
            t_runningReaders = this;
            try
            {
                flush = request.FlushOutputAsync();
            }
            finally
            {
                t_runningReaders = outer;
            }

            if (!flush.IsCompletedSuccessfully)
            {
                // Waiting for the caller to read is not the application's silence.
                _readerBlockedOnCaller = true;
                await flush.ConfigureAwait(false);
                _readerBlockedOnCaller = false;
                _watchdog?.MarkActivity();
            }
        }

        Volatile.Write(ref _flushing, null);
        _dirty.Clear();
    }
}
