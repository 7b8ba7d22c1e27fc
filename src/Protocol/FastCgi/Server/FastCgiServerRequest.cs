using System.Buffers;
using System.IO.Pipelines;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// One request as the handler sees it. <see cref="Stdin"/> and <see cref="Data"/> fill as records arrive;
/// their buffering is bounded by <see cref="FastCgiLimits.MaxBufferedStreamBytes"/>, beyond which the connection
/// stops reading. Write the response to <see cref="Stdout"/> and flush to send it as it is produced.
/// </summary>
public sealed class FastCgiServerRequest
{
    private readonly Pipe _stdin;
    private readonly Pipe? _data;
    private readonly RecordOutput _output;
    private readonly ConnectionTransport _transport;
    private readonly RecordStreamWriter _stdout;
    private RecordStreamWriter? _stderr;
    private PipeReader? _emptyData;
    private CancellationTokenSource? _abortSource;
    private int _abortRequested;

    internal FastCgiServerRequest(ushort id, FastCgiBeginRequestBody begin, ConnectionTransport transport, PipeOptions inputOptions)
    {
        Id = id;
        Role = begin.Role;
        KeepConnection = begin.KeepConnection;
        _transport = transport;
        var output = transport.Output;
        _output = output;
        _stdin = new Pipe(inputOptions);
        _data = begin.Role == FastCgiRole.Filter ? new Pipe(inputOptions) : null;
        _stdout = new RecordStreamWriter(output, FastCgiRecordType.Stdout, id);
    }

    public int RequestId => Id;

    public FastCgiRole Role { get; }

    /// <summary>Whether the web server asked to keep the connection open after this request.</summary>
    public bool KeepConnection { get; }

    /// <summary>The CGI variables from the PARAMS stream, in order, with lookup by name.</summary>
    public FastCgiParams Params { get; private set; } = FastCgiParams.Empty;

    /// <summary>The request body (STDIN stream).</summary>
    public PipeReader Stdin => _stdin.Reader;

    /// <summary>The FILTER role's DATA stream; empty for other roles.</summary>
    public PipeReader Data => _data?.Reader ?? (_emptyData ??= PipeReader.Create(ReadOnlySequence<byte>.Empty));

    /// <summary>The response (STDOUT stream): CGI headers, blank line, body.</summary>
    public PipeWriter Stdout => _stdout;

    /// <summary>The STDERR stream, usually logged by the web server.</summary>
    public PipeWriter Stderr => _stderr ??= new RecordStreamWriter(_output, FastCgiRecordType.Stderr, Id);

    /// <summary>
    /// Cancelled when the web server sends ABORT_REQUEST, when the connection is lost, or when a stop runs out
    /// of time. Writes after that are dropped.
    /// </summary>
    public CancellationToken Aborted
    {
        get
        {
            var source = Volatile.Read(ref _abortSource);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _abortSource, created, null) ?? created;

                // The compare-exchange is a full fence, so an abort that raced with creation is seen here.
                if (Volatile.Read(ref _abortRequested) != 0)
                {
                    source.Cancel();
                }
            }

            return source.Token;
        }
    }

    public bool IsAborted => Volatile.Read(ref _abortRequested) != 0;

    /// <summary>
    /// Closes the whole connection at once, without END_REQUEST: how a gateway passing on another application's
    /// answer says that the answer, already begun, is broken. A web server then cuts its client's response instead of
    /// completing a truncated one (nginx: "upstream prematurely closed connection"). Other requests on a multiplexed
    /// connection are lost with it; they are aborted.
    /// </summary>
    public void AbortConnection(string reason) => _transport.Close(new IOException(reason));

    internal ushort Id { get; }

    // ---- Connection read-loop state ----
    internal bool ParamsComplete { get; private set; }

    internal bool StdinEnded;
    internal bool DataEnded;
    internal bool StdinAbandoned;
    internal bool DataAbandoned;
    internal bool StdinDirty;
    internal bool DataDirty;
    private byte[]? _paramsBuffer;
    private int _paramsLength;

    internal PipeWriter StdinWriter => _stdin.Writer;

    internal PipeWriter? DataWriter => _data?.Writer;

    /// <summary>Collects one PARAMS record, checking the limit before copying.</summary>
    internal void AppendParams(in ReadOnlySequence<byte> content, FastCgiLimits limits)
    {
        var length = (int)content.Length;
        CheckParamsRoom(length, limits);

        if (_paramsBuffer is null || _paramsBuffer.Length - _paramsLength < length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_paramsLength + length, Math.Min(limits.MaxParamsBytes, Math.Max(4096, (_paramsBuffer?.Length ?? 0) * 2))));
            if (_paramsBuffer is not null)
            {
                _paramsBuffer.AsSpan(0, _paramsLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_paramsBuffer);
            }

            _paramsBuffer = grown;
        }

        content.CopyTo(_paramsBuffer.AsSpan(_paramsLength));
        _paramsLength += length;
    }

    /// <summary>Throws when <paramref name="length"/> more PARAMS bytes would exceed the limit.</summary>
    internal void CheckParamsRoom(int length, FastCgiLimits limits)
    {
        if ((long)_paramsLength + length > limits.MaxParamsBytes)
        {
            throw new FastCgiProtocolException(
                FastCgiErrorKind.ParamsTooLarge,
                $"PARAMS stream longer than the limit of {limits.MaxParamsBytes} bytes",
                Id);
        }
    }

    /// <summary>Parses the collected PARAMS stream at its end.</summary>
    internal void CompleteParams(FastCgiLimits limits)
    {
        try
        {
            Params = _paramsBuffer is null ? FastCgiParams.Empty : FastCgiParams.Parse(_paramsBuffer.AsSpan(0, _paramsLength), limits);
        }
        catch (FastCgiProtocolException e)
        {
            throw new FastCgiProtocolException(e.Kind, "in PARAMS: " + e.Message, Id);
        }
        finally
        {
            ReleaseParamsBuffer();
        }

        ParamsComplete = true;
    }

    internal void ReleaseParamsBuffer()
    {
        if (_paramsBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_paramsBuffer);
            _paramsBuffer = null;
            _paramsLength = 0;
        }
    }

    /// <summary>Cancels <see cref="Aborted"/>; callbacks run on the thread pool, not on the caller.</summary>
    internal void RequestAbort()
    {
        Interlocked.Exchange(ref _abortRequested, 1);
        var source = Volatile.Read(ref _abortSource);
        if (source is not null)
        {
            _ = source.CancelAsync();
        }
    }

    /// <summary>After the handler: no one reads the inputs any more, so the read loop's flushes stop waiting.</summary>
    internal void CompleteInputs()
    {
        _stdin.Reader.Complete();
        _data?.Reader.Complete();
    }

    /// <summary>Encodes the end of the request: buffered output, end of STDOUT (and STDERR if used), END_REQUEST.</summary>
    internal void WriteEnd(IBufferWriter<byte> output, int appStatus)
    {
        _stdout.WriteRemainder(output, endStream: true);
        _stderr?.WriteRemainder(output, endStream: _stderr.WasWritten);
        FastCgiRecordWriter.WriteEndRequest(output, Id, appStatus, FastCgiProtocolStatus.RequestComplete);
    }

    internal void ReleaseOutputBuffers()
    {
        _stdout.ReleaseBuffer();
        _stderr?.ReleaseBuffer();
    }
}
