using System.Buffers;
using System.IO.Pipelines;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The <see cref="PipeWriter"/> a handler writes STDOUT or STDERR into. Bytes collect in a pooled buffer until
/// a flush, which cuts them into records and sends them through the connection's shared output. When the
/// connection is gone a flush reports <see cref="FlushResult.IsCompleted"/> (the reader went away) instead of
/// throwing, so a handler can stop writing without an exception path. Not thread-safe, like any PipeWriter.
/// </summary>
internal sealed class RecordStreamWriter : PipeWriter
{
    private const int MinimumBufferSize = 4096;

    // Writes at least this large skip the buffer and go straight into records.
    private const int DirectWriteThreshold = 16 * 1024;

    private readonly RecordOutput _output;
    private readonly FastCgiRecordType _type;
    private readonly ushort _requestId;
    private byte[]? _buffer;
    private int _buffered;
    private bool _written;

    public RecordStreamWriter(RecordOutput output, FastCgiRecordType type, ushort requestId)
    {
        _output = output;
        _type = type;
        _requestId = requestId;
    }

    /// <summary>Whether any byte was ever written (STDERR's end record is sent only then).</summary>
    public bool WasWritten => _written;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffered;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _buffered + bytes > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "advanced past the buffer");
        }

        _buffered += bytes;
        _written |= bytes > 0;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_buffered);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_buffered);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        _buffered == 0
            ? new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: _output.Failure is not null))
            : SendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (source.Length < DirectWriteThreshold)
        {
            this.Write(source.Span);
            return FlushAsync(cancellationToken);
        }

        _written = true;
        return SendAsync(source, cancellationToken);
    }

    /// <summary>Flushes are never cancelled half-way: a partly sent record would corrupt the connection.</summary>
    public override void CancelPendingFlush()
    {
    }

    /// <summary>Marks the end of writing; the server sends what is left when the request ends.</summary>
    public override void Complete(Exception? exception = null)
    {
    }

    /// <summary>Encodes what is still buffered, and the empty record ending the stream when wanted, then frees the buffer.</summary>
    public void WriteRemainder(IBufferWriter<byte> output, bool endStream)
    {
        if (_buffered > 0)
        {
            FastCgiRecordWriter.WriteStream(output, _type, _requestId, _buffer.AsSpan(0, _buffered));
        }

        if (endStream)
        {
            FastCgiRecordWriter.WriteEndOfStream(output, _type, _requestId);
        }

        ReleaseBuffer();
    }

    /// <summary>Drops what is buffered (the connection is gone) and frees the buffer.</summary>
    public void ReleaseBuffer()
    {
        var buffer = _buffer;
        _buffer = null;
        _buffered = 0;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<FlushResult> SendAsync(ReadOnlyMemory<byte> extra, CancellationToken cancellationToken)
    {
        if (!await _output.TryEnterAsync(cancellationToken).ConfigureAwait(false))
        {
            ReleaseBuffer();
            return new FlushResult(isCanceled: false, isCompleted: true);
        }

        if (_buffered > 0)
        {
            FastCgiRecordWriter.WriteStream(_output.Writer, _type, _requestId, _buffer.AsSpan(0, _buffered));
            _buffered = 0;
        }

        FastCgiRecordWriter.WriteStream(_output.Writer, _type, _requestId, extra.Span);
        var sent = await _output.SendAndExitAsync().ConfigureAwait(false);
        return new FlushResult(isCanceled: false, isCompleted: !sent);
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_buffer))]
    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, MinimumBufferSize));
            return;
        }

        if (_buffer.Length - _buffered >= sizeHint)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(checked(_buffered + sizeHint), _buffer.Length * 2));
        _buffer.AsSpan(0, _buffered).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
