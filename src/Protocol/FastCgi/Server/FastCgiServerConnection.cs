using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The application side of one transport connection.
/// <para>
/// Constraints (spec §3.3): a request id is active from BEGIN_REQUEST until the application sends its
/// END_REQUEST, and records for inactive ids are ignored, so the id is retired before END_REQUEST is sent (the
/// web server may reuse it the moment it reads that record). With KEEP_CONN off the application closes the
/// connection after the request. Scheme: one read loop parses records and feeds per-request input pipes; each
/// request's handler runs on the thread pool and writes through the shared <see cref="RecordOutput"/>;
/// management replies and refusals are encoded during a batch and sent after it. The read loop ends on end of
/// stream, a protocol violation or a stop; the connection then waits for its handlers and closes.
/// </para>
/// </summary>
internal sealed class FastCgiServerConnection
{
    private readonly FastCgiServer _server;
    private readonly FastCgiServerOptions _options;
    private readonly ConnectionTransport _transport;
    private readonly PipeOptions _inputOptions;
    private readonly Dictionary<ushort, FastCgiServerRequest> _requests = [];
    private readonly Lock _sync = new();
    private readonly List<FastCgiServerRequest> _dirty = [];
    private readonly PooledBufferWriter _replies = new();
    private readonly List<FastCgiServerRequest> _startInline = [];
    private int _running;
    private TaskCompletionSource? _drained;
    private bool _stopping;
    private bool _closeWhenIdle;
    private bool _halfClosed;
    private bool _closed;

    public FastCgiServerConnection(FastCgiServer server, FastCgiServerOptions options, Socket socket)
    {
        _server = server;
        _options = options;
        _transport = new ConnectionTransport(socket, options.ReceiveBufferSize);
        _inputOptions = new PipeOptions(
            pauseWriterThreshold: options.Limits.MaxBufferedStreamBytes,
            resumeWriterThreshold: options.Limits.MaxBufferedStreamBytes / 2,
            minimumSegmentSize: 8192,
            useSynchronizationContext: false);
    }

    /// <summary>Serves the connection until it closes and every handler on it has returned.</summary>
    public async Task RunAsync()
    {
        var failure = await ReadLoopAsync().ConfigureAwait(false);

        // Requests whose batch failed before they were started: they run (and meet their cut input) so the drain
        // below, which counts them already, completes.
        if (_startInline.Count > 0)
        {
            StartInline();
        }
        if (failure is not null)
        {
            _server.Report(new FastCgiServerError(FastCgiServerErrorSource.Connection, failure, (failure as FastCgiProtocolException)?.RequestId ?? -1));
            _transport.Close(failure);
        }

        // The web server is gone (or broke the protocol, or we stop): requests still running lose their input.
        FastCgiServerRequest[] orphans;
        lock (_sync)
        {
            _stopping = true;
            orphans = [.. _requests.Values];
        }

        var cut = new FastCgiConnectionClosedException("the web server closed the FastCGI connection", responseStarted: false, failure);
        foreach (var request in orphans)
        {
            // Aborted first, so a handler that fails on its cut input is known to have been aborted.
            request.RequestAbort();
            if (!request.StdinEnded)
            {
                await request.StdinWriter.CompleteAsync(cut).ConfigureAwait(false);
            }

            if (request.DataWriter is { } data && !request.DataEnded)
            {
                await data.CompleteAsync(cut).ConfigureAwait(false);
            }

            if (!request.ParamsComplete)
            {
                request.ReleaseParamsBuffer();
                lock (_sync)
                {
                    _requests.Remove(request.Id);
                }

                _server.ReleaseRequest();
            }
        }

        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _drained, drained);
        if (Volatile.Read(ref _running) > 0)
        {
            await drained.Task.ConfigureAwait(false);
        }

        _transport.Close(cut);
        _replies.Reset();
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Graceful stop: new requests are refused with OVERLOADED; the connection closes once idle.</summary>
    public void BeginStop()
    {
        lock (_sync)
        {
            _stopping = true;
        }

        CloseIfIdle();
    }

    /// <summary>Forced stop: aborts every request and closes the socket now.</summary>
    public void Abort()
    {
        FastCgiServerRequest[] active;
        lock (_sync)
        {
            _stopping = true;
            active = [.. _requests.Values];
        }

        // Close first, like a KILL: nothing a handler writes while giving up reaches the web server.
        _transport.Close(new OperationCanceledException("the FastCGI server stopped"));
        foreach (var request in active)
        {
            request.RequestAbort();
        }
    }

    /// <returns>The failure that ended the loop, or null for an orderly end of stream.</returns>
    private async Task<Exception?> ReadLoopAsync()
    {
        var input = _transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (FastCgiRecordReader.TryRead(ref buffer, out var record))
                    {
                        Dispatch(record);
                    }

                    CheckIncompleteRecord(buffer);
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (_dirty.Count > 0)
                {
                    await FlushInputsAsync().ConfigureAwait(false);
                }

                if (_replies.WrittenCount > 0)
                {
                    await SendRepliesAsync().ConfigureAwait(false);
                }

                if (_startInline.Count > 0)
                {
                    StartInline();
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return buffer.IsEmpty || IsClosing()
                        ? null
                        : new FastCgiProtocolException(FastCgiErrorKind.TruncatedRecord, $"the connection ended inside a record ({buffer.Length} bytes of it received)");
                }
            }
        }
        catch (FastCgiProtocolException e)
        {
            return e;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A reset by the peer is worth reporting; our own close of the socket is not.
            return IsClosing() ? null : e;
        }
    }

    /// <summary>
    /// Judges a record whose header has arrived but not its content: a PARAMS record that cannot fit the limit
    /// is refused now, before up to 64 KiB of it are buffered.
    /// </summary>
    private void CheckIncompleteRecord(in ReadOnlySequence<byte> buffer)
    {
        if (FastCgiRecordReader.TryReadHeader(buffer, out var header)
            && header.Type == FastCgiRecordType.Params
            && Active(header.RequestId) is { ParamsComplete: false } request)
        {
            request.CheckParamsRoom(header.ContentLength, _options.Limits);
        }
    }

    private bool IsClosing()
    {
        lock (_sync)
        {
            return _halfClosed || _closed || _stopping;
        }
    }

    private void Dispatch(in FastCgiRecord record)
    {
        if (record.Header.IsManagement)
        {
            DispatchManagement(record);
            return;
        }

        var content = record.Content;
        switch (record.Type)
        {
            case FastCgiRecordType.BeginRequest:
                Begin(record.RequestId, FastCgiBeginRequestBody.Read(content));
                break;

            case FastCgiRecordType.Params:
                if (Active(record.RequestId) is { } withParams)
                {
                    if (withParams.ParamsComplete)
                    {
                        throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordOrder, "PARAMS after the end of the PARAMS stream", record.RequestId);
                    }

                    if (content.IsEmpty)
                    {
                        withParams.CompleteParams(_options.Limits);
                        Start(withParams);
                    }
                    else
                    {
                        withParams.AppendParams(content, _options.Limits);
                    }
                }

                break;

            case FastCgiRecordType.Stdin:
                if (Active(record.RequestId) is { } withStdin)
                {
                    RequireParamsComplete(withStdin, record.Type);
                    Feed(withStdin, content, withStdin.StdinWriter, ref withStdin.StdinEnded, withStdin.StdinAbandoned, ref withStdin.StdinDirty, record.Type);
                }

                break;

            case FastCgiRecordType.Data:
                if (Active(record.RequestId) is { } withData)
                {
                    if (withData.DataWriter is not { } dataWriter)
                    {
                        throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordType, $"DATA for a {withData.Role} request", record.RequestId);
                    }

                    RequireParamsComplete(withData, record.Type);
                    Feed(withData, content, dataWriter, ref withData.DataEnded, withData.DataAbandoned, ref withData.DataDirty, record.Type);
                }

                break;

            case FastCgiRecordType.AbortRequest:
                if (Active(record.RequestId) is { } aborted)
                {
                    if (aborted.ParamsComplete)
                    {
                        aborted.RequestAbort();
                    }
                    else
                    {
                        // The handler never started: end the request here.
                        aborted.ReleaseParamsBuffer();
                        lock (_sync)
                        {
                            _requests.Remove(aborted.Id);
                        }

                        _server.ReleaseRequest();
                        FastCgiRecordWriter.WriteEndRequest(_replies, aborted.Id, 0, FastCgiProtocolStatus.RequestComplete);
                    }
                }

                break;

            default:
                throw new FastCgiProtocolException(
                    FastCgiErrorKind.UnexpectedRecordType,
                    $"record type {(byte)record.Type} is never sent to an application",
                    record.RequestId);
        }
    }

    private void DispatchManagement(in FastCgiRecord record)
    {
        if (record.Type != FastCgiRecordType.GetValues)
        {
            FastCgiRecordWriter.WriteUnknownType(_replies, (byte)record.Type);
            return;
        }

        var query = FastCgiParams.Parse(record.Content, _options.Limits);
        var answer = new List<KeyValuePair<string, string>>(query.Count);
        for (var i = 0; i < query.Count; i++)
        {
            var name = query.GetName(i);
            var value = name switch
            {
                FastCgiManagementVariables.MaxConns => _options.MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
                FastCgiManagementVariables.MaxReqs => _options.MaxRequests.ToString(System.Globalization.CultureInfo.InvariantCulture),
                FastCgiManagementVariables.MpxsConns => _options.MultiplexConnections ? "1" : "0",
                _ => null,
            };
            if (value is not null)
            {
                answer.Add(new KeyValuePair<string, string>(name, value));
            }
        }

        FastCgiRecordWriter.WriteManagementPairs(_replies, FastCgiRecordType.GetValuesResult, answer);
    }

    private void Begin(ushort id, FastCgiBeginRequestBody begin)
    {
        FastCgiProtocolStatus? refusal = null;
        lock (_sync)
        {
            if (_requests.ContainsKey(id))
            {
                throw new FastCgiProtocolException(FastCgiErrorKind.DuplicateRequestId, "BEGIN_REQUEST for a request that is still active", id);
            }

            _closeWhenIdle |= !begin.KeepConnection;
            if (!_options.Roles.Contains(begin.Role))
            {
                refusal = FastCgiProtocolStatus.UnknownRole;
            }
            else if (!_options.MultiplexConnections && _requests.Count > 0)
            {
                refusal = FastCgiProtocolStatus.CantMultiplexConnection;
            }
            else if (_stopping || _requests.Count >= _options.MaxRequestsPerConnection || !_server.TryAcquireRequest())
            {
                refusal = FastCgiProtocolStatus.Overloaded;
            }
            else
            {
                _requests.Add(id, new FastCgiServerRequest(id, begin, _transport, _inputOptions));
            }
        }

        if (refusal is { } status)
        {
            FastCgiRecordWriter.WriteEndRequest(_replies, id, 0, status);
        }
    }

    private FastCgiServerRequest? Active(ushort id)
    {
        // Records for inactive ids are ignored (spec §3.3): they may be the tail of a refused or finished request.
        lock (_sync)
        {
            return _requests.GetValueOrDefault(id);
        }
    }

    private static void RequireParamsComplete(FastCgiServerRequest request, FastCgiRecordType type)
    {
        if (!request.ParamsComplete)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordOrder, $"{type} before the end of the PARAMS stream", request.Id);
        }
    }

    private void Feed(FastCgiServerRequest request, in ReadOnlySequence<byte> content, PipeWriter writer, ref bool ended, bool abandoned, ref bool dirty, FastCgiRecordType type)
    {
        if (ended)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnexpectedRecordOrder, $"{type} after the end of the {type} stream", request.Id);
        }

        if (content.IsEmpty)
        {
            ended = true;
            writer.Complete();
            return;
        }

        if (abandoned)
        {
            return;
        }

        foreach (var segment in content)
        {
            writer.Write(segment.Span);
        }

        if (!dirty)
        {
            dirty = true;
            if (!_dirty.Contains(request))
            {
                _dirty.Add(request);
            }
        }
    }

    private async ValueTask FlushInputsAsync()
    {
        // One flush per stream per batch of records; waiting here is the backpressure on the web server.
        foreach (var request in _dirty)
        {
            if (request.StdinDirty)
            {
                request.StdinDirty = false;
                if (!request.StdinEnded && (await request.StdinWriter.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    request.StdinAbandoned = true;
                }
            }

            if (request.DataDirty && request.DataWriter is { } data)
            {
                request.DataDirty = false;
                if (!request.DataEnded && (await data.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    request.DataAbandoned = true;
                }
            }
        }

        _dirty.Clear();
    }

    private async ValueTask SendRepliesAsync()
    {
        var output = _transport.Output;
        if (await output.TryEnterAsync(CancellationToken.None).ConfigureAwait(false))
        {
            output.Writer.Write(_replies.WrittenMemory.Span);
            await output.SendAndExitAsync().ConfigureAwait(false);
        }

        _replies.Reset();
        CloseIfIdle();
    }

    private void Start(FastCgiServerRequest request)
    {
        Interlocked.Increment(ref _running);
        if (_options.StartHandlersInline)
        {
            // After the batch: the rest of its records (STDIN) must be in the request's pipe first.
            _startInline.Add(request);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Connection.RunRequestAsync(state.Request),
            (Connection: this, Request: request),
            preferLocal: true);
    }

    private void StartInline()
    {
        foreach (var request in _startInline)
        {
            _ = RunRequestAsync(request);
        }

        _startInline.Clear();
    }

    private async Task RunRequestAsync(FastCgiServerRequest request)
    {
        try
        {
            var appStatus = 1;
            try
            {
                appStatus = await _server.Handler(request).ConfigureAwait(false);
            }
            catch (Exception) when (request.IsAborted)
            {
                // The request was aborted (ABORT_REQUEST, lost connection, forced stop): whatever the handler
                // failed with while giving up is a consequence, not a bug to report.
            }
            catch (Exception e)
            {
                _server.Report(new FastCgiServerError(FastCgiServerErrorSource.Handler, e, request.Id));
            }

            await EndRequestAsync(request, appStatus).ConfigureAwait(false);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    private async ValueTask EndRequestAsync(FastCgiServerRequest request, int appStatus)
    {
        request.CompleteInputs();

        // Retire the id before END_REQUEST leaves: the web server may reuse it as soon as it reads that record.
        lock (_sync)
        {
            _requests.Remove(request.Id);
        }

        _server.ReleaseRequest();
        var output = _transport.Output;
        if (await output.TryEnterAsync(CancellationToken.None).ConfigureAwait(false))
        {
            request.WriteEnd(output.Writer, appStatus);
            await output.SendAndExitAsync().ConfigureAwait(false);
        }
        else
        {
            request.ReleaseOutputBuffers();
        }

        CloseIfIdle();
    }

    /// <summary>
    /// Closes once no request is active, if stopping (at once) or if a request came without KEEP_CONN (send side
    /// only: the read loop drains until the web server closes, so unread input cannot turn the close into a reset
    /// that destroys the response in flight).
    /// </summary>
    private void CloseIfIdle()
    {
        bool stop;
        lock (_sync)
        {
            if (_requests.Count > 0 || _closed)
            {
                return;
            }

            if (_stopping)
            {
                stop = _closed = true;
            }
            else if (_closeWhenIdle && !_halfClosed)
            {
                stop = false;
                _halfClosed = true;
            }
            else
            {
                return;
            }
        }

        if (stop)
        {
            _transport.Close(new OperationCanceledException("the FastCGI server is stopping"));
            return;
        }

        _transport.Output.Fail(new InvalidOperationException("the connection was closed after a request without KEEP_CONN"));
        try
        {
            _transport.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }
}
