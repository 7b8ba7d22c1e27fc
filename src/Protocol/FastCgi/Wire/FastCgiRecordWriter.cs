using System.Buffers;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// Encodes records into an <see cref="IBufferWriter{T}"/>. Every record is padded to a multiple of 8 bytes, as
/// the spec recommends; stream content is cut into records of at most
/// <see cref="FastCgiConstants.MaxAlignedContentLength"/> bytes, which need no padding.
/// </summary>
public static class FastCgiRecordWriter
{
    private static ReadOnlySpan<byte> Zeros => [0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Writes the header of a record whose content the caller writes next, followed by its padding.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, FastCgiRecordType type, ushort requestId, int contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contentLength, FastCgiConstants.MaxContentLength);
        var span = writer.GetSpan(FastCgiConstants.HeaderLength);
        new FastCgiRecordHeader(type, requestId, (ushort)contentLength, FastCgiConstants.PaddingFor(contentLength)).Write(span);
        writer.Advance(FastCgiConstants.HeaderLength);
    }

    /// <summary>Writes the padding that follows <paramref name="contentLength"/> content bytes.</summary>
    public static void WritePadding(IBufferWriter<byte> writer, int contentLength)
    {
        var padding = FastCgiConstants.PaddingFor(contentLength);
        if (padding > 0)
        {
            writer.Write(Zeros[..padding]);
        }
    }

    /// <summary>Writes one record with the given content (at most 65535 bytes).</summary>
    public static void WriteRecord(IBufferWriter<byte> writer, FastCgiRecordType type, ushort requestId, ReadOnlySpan<byte> content)
    {
        WriteHeader(writer, type, requestId, content.Length);
        writer.Write(content);
        WritePadding(writer, content.Length);
    }

    public static void WriteBeginRequest(IBufferWriter<byte> writer, ushort requestId, FastCgiRole role, FastCgiBeginRequestFlags flags)
    {
        Span<byte> body = stackalloc byte[FastCgiConstants.FixedBodyLength];
        new FastCgiBeginRequestBody(role, flags).Write(body);
        WriteRecord(writer, FastCgiRecordType.BeginRequest, requestId, body);
    }

    public static void WriteAbortRequest(IBufferWriter<byte> writer, ushort requestId) =>
        WriteRecord(writer, FastCgiRecordType.AbortRequest, requestId, []);

    public static void WriteEndRequest(IBufferWriter<byte> writer, ushort requestId, int appStatus, FastCgiProtocolStatus protocolStatus)
    {
        Span<byte> body = stackalloc byte[FastCgiConstants.FixedBodyLength];
        new FastCgiEndRequestBody(appStatus, protocolStatus).Write(body);
        WriteRecord(writer, FastCgiRecordType.EndRequest, requestId, body);
    }

    public static void WriteUnknownType(IBufferWriter<byte> writer, byte unknownType)
    {
        Span<byte> body = stackalloc byte[FastCgiConstants.FixedBodyLength];
        new FastCgiUnknownTypeBody(unknownType).Write(body);
        WriteRecord(writer, FastCgiRecordType.UnknownType, FastCgiConstants.ManagementRequestId, body);
    }

    /// <summary>Writes stream content (any length) as as many records as it needs. Empty content writes nothing.</summary>
    public static void WriteStream(IBufferWriter<byte> writer, FastCgiRecordType type, ushort requestId, ReadOnlySpan<byte> content)
    {
        while (!content.IsEmpty)
        {
            var chunk = Math.Min(content.Length, FastCgiConstants.MaxAlignedContentLength);
            WriteRecord(writer, type, requestId, content[..chunk]);
            content = content[chunk..];
        }
    }

    /// <summary>Writes stream content held in a sequence as as many records as it needs.</summary>
    public static void WriteStream(IBufferWriter<byte> writer, FastCgiRecordType type, ushort requestId, in ReadOnlySequence<byte> content)
    {
        if (content.IsSingleSegment)
        {
            WriteStream(writer, type, requestId, content.FirstSpan);
            return;
        }

        var remaining = content;
        while (!remaining.IsEmpty)
        {
            var chunk = (int)Math.Min(remaining.Length, FastCgiConstants.MaxAlignedContentLength);
            WriteHeader(writer, type, requestId, chunk);
            foreach (var segment in remaining.Slice(0, chunk))
            {
                writer.Write(segment.Span);
            }

            WritePadding(writer, chunk);
            remaining = remaining.Slice(chunk);
        }
    }

    /// <summary>The empty record that ends a stream (PARAMS, STDIN, STDOUT, STDERR, DATA).</summary>
    public static void WriteEndOfStream(IBufferWriter<byte> writer, FastCgiRecordType type, ushort requestId) =>
        WriteRecord(writer, type, requestId, []);

    /// <summary>
    /// Writes a request's PARAMS stream as UTF-8 name-value pairs, split over records as needed, followed by
    /// the empty PARAMS record that ends it.
    /// </summary>
    public static void WriteParams(IBufferWriter<byte> writer, ushort requestId, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        var total = 0L;
        for (var i = 0; i < parameters.Count; i++)
        {
            total += FastCgiNameValuePair.GetEncodedLength(parameters[i].Key, parameters[i].Value);
        }

        if (total <= FastCgiConstants.MaxContentLength)
        {
            // The usual case: one record, pairs encoded straight into the output.
            var length = (int)total;
            if (length > 0)
            {
                WriteHeader(writer, FastCgiRecordType.Params, requestId, length);
                var span = writer.GetSpan(length);
                var offset = 0;
                for (var i = 0; i < parameters.Count; i++)
                {
                    offset += FastCgiNameValuePair.Write(span[offset..], parameters[i].Key, parameters[i].Value);
                }

                writer.Advance(length);
                WritePadding(writer, length);
            }
        }
        else
        {
            if (total > int.MaxValue)
            {
                throw new ArgumentException($"FastCGI params of {total} bytes are too large to send", nameof(parameters));
            }

            var rented = ArrayPool<byte>.Shared.Rent((int)total);
            try
            {
                var offset = 0;
                for (var i = 0; i < parameters.Count; i++)
                {
                    offset += FastCgiNameValuePair.Write(rented.AsSpan(offset), parameters[i].Key, parameters[i].Value);
                }

                WriteStream(writer, FastCgiRecordType.Params, requestId, rented.AsSpan(0, offset));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        WriteEndOfStream(writer, FastCgiRecordType.Params, requestId);
    }

    /// <summary>
    /// Writes a management record of name-value pairs (GET_VALUES with empty values, or GET_VALUES_RESULT).
    /// Management content is one record, so the pairs must fit in 65535 bytes.
    /// </summary>
    public static void WriteManagementPairs(IBufferWriter<byte> writer, FastCgiRecordType type, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var total = 0L;
        for (var i = 0; i < pairs.Count; i++)
        {
            total += FastCgiNameValuePair.GetEncodedLength(pairs[i].Key, pairs[i].Value);
        }

        if (total > FastCgiConstants.MaxContentLength)
        {
            throw new ArgumentException($"{type} content of {total} bytes does not fit in one record", nameof(pairs));
        }

        var length = (int)total;

        // libfcgi 2.4 waits forever for a GET_VALUES record without padding (it answers the same record with
        // 1..7 or 8 padding bytes), so GET_VALUES always gets some; alignment stays a multiple of 8.
        var padding = FastCgiConstants.PaddingFor(length);
        if (padding == 0 && type == FastCgiRecordType.GetValues)
        {
            padding = 8;
        }

        var header = writer.GetSpan(FastCgiConstants.HeaderLength);
        new FastCgiRecordHeader(type, FastCgiConstants.ManagementRequestId, (ushort)length, padding).Write(header);
        writer.Advance(FastCgiConstants.HeaderLength);
        if (length > 0)
        {
            var span = writer.GetSpan(length);
            var offset = 0;
            for (var i = 0; i < pairs.Count; i++)
            {
                offset += FastCgiNameValuePair.Write(span[offset..], pairs[i].Key, pairs[i].Value);
            }

            writer.Advance(length);
        }

        writer.Write(Zeros[..padding]);
    }
}
