using System.Buffers;
using System.IO.Pipelines;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// A request body without a length (chunked), read whole before the request goes to the app, so that it can be
/// sent with CONTENT_LENGTH: php-cgi reads exactly CONTENT_LENGTH bytes of FCGI_STDIN and, without it, sees no POST
/// data at all. nginx does the same with every body. Held in memory up to PmRequestBodyBuffer, beyond that in a
/// nameless file of the <see cref="BodySpool"/>; past PmRequestBodyMax the reading stops with
/// <see cref="RequestBodyTooLargeException"/> (413). Bodies with a Content-Length are never buffered: they stream.
/// </summary>
internal sealed class BufferedBody : IAsyncDisposable
{
    private const int FirstBuffer = 16 * 1024;

    private byte[]? _memory;
    private int _held;
    private FileStream? _file;
    private PipeReader? _reader;

    private BufferedBody()
    {
    }

    /// <summary>The body's length: what CONTENT_LENGTH says.</summary>
    public long Length { get; private set; }

    /// <summary>Whether the body outgrew memory and went to a file.</summary>
    public bool Spilled => _file is not null;

    /// <summary>Reads <paramref name="source"/> to its end.</summary>
    /// <param name="memoryLimit">Bytes held in memory at most (PmRequestBodyBuffer).</param>
    /// <param name="max">The largest body (PmRequestBodyMax); 0 = no limit.</param>
    public static async ValueTask<BufferedBody> ReadAsync(PipeReader source, long memoryLimit, long max, BodySpool spool, CancellationToken aborted)
    {
        var body = new BufferedBody();
        try
        {
            while (true)
            {
                var result = await source.ReadAsync(aborted).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (max > 0 && body.Length + buffer.Length > max)
                {
                    source.AdvanceTo(buffer.End);
                    throw new RequestBodyTooLargeException(max);
                }

                foreach (var segment in buffer)
                {
                    await body.AppendAsync(segment, memoryLimit, spool, aborted).ConfigureAwait(false);
                }

                source.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch
        {
            await body.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return body;
    }

    private async ValueTask AppendAsync(ReadOnlyMemory<byte> data, long memoryLimit, BodySpool spool, CancellationToken aborted)
    {
        Length += data.Length;
        if (_file is null && Length <= memoryLimit)
        {
            if (_memory is null || _held + data.Length > _memory.Length)
            {
                // Doubling, in pooled arrays: a small body costs one small buffer, a large one O(log n) copies.
                var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(memoryLimit, Math.Max(FirstBuffer, Math.Max(_held + data.Length, (_memory?.Length ?? 0) * 2L))));
                if (_memory is not null)
                {
                    _memory.AsSpan(0, _held).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(_memory);
                }

                _memory = grown;
            }

            data.Span.CopyTo(_memory.AsSpan(_held));
            _held += data.Length;
            return;
        }

        if (_file is null)
        {
            _file = spool.Create();
            if (_memory is not null)
            {
                await _file.WriteAsync(_memory.AsMemory(0, _held), aborted).ConfigureAwait(false);
                ArrayPool<byte>.Shared.Return(_memory);
                _memory = null;
                _held = 0;
            }
        }

        await _file.WriteAsync(data, aborted).ConfigureAwait(false);
    }

    /// <summary>The body from its start, for FCGI_STDIN; one reader per body, completed when the body is disposed.</summary>
    public PipeReader OpenReader()
    {
        if (_file is { } file)
        {
            file.Position = 0;
            _reader = PipeReader.Create(file, new StreamPipeReaderOptions(leaveOpen: true));
        }
        else
        {
            _reader = PipeReader.Create(_memory is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_memory, 0, _held));
        }

        return _reader;
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        if (_file is { } file)
        {
            _file = null;
            await file.DisposeAsync().ConfigureAwait(false);
        }

        if (_memory is { } memory)
        {
            _memory = null;
            ArrayPool<byte>.Shared.Return(memory);
        }
    }
}
