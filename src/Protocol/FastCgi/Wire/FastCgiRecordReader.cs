using System.Buffers;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// Incremental record parser. Validation that needs only the header happens as soon as the 8 header bytes
/// are there, before waiting for (and so buffering) the content: a hostile length or version is rejected
/// while at most one header is held. A record never exceeds <see cref="FastCgiConstants.MaxRecordLength"/>
/// bytes, so the caller's buffer is bounded by construction.
/// </summary>
public static class FastCgiRecordReader
{
    /// <summary>
    /// Reads one whole record from the front of <paramref name="buffer"/>. On success <paramref name="buffer"/>
    /// is advanced past the record (padding included) and true is returned. Returns false, leaving
    /// <paramref name="buffer"/> untouched, while the record is incomplete.
    /// </summary>
    /// <exception cref="FastCgiProtocolException">The header is invalid for any peer.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out FastCgiRecord record)
    {
        if (!TryReadHeader(buffer, out var header))
        {
            record = default;
            return false;
        }

        if (buffer.Length < header.TotalLength)
        {
            record = default;
            return false;
        }

        var content = buffer.Slice(FastCgiConstants.HeaderLength, header.ContentLength);
        record = new FastCgiRecord(header, content);
        buffer = buffer.Slice(header.TotalLength);
        return true;
    }

    /// <summary>
    /// Reads and validates the header at the front of <paramref name="buffer"/> without consuming anything.
    /// Returns false while fewer than 8 bytes are available.
    /// </summary>
    /// <exception cref="FastCgiProtocolException">The header is invalid for any peer.</exception>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out FastCgiRecordHeader header)
    {
        if (buffer.Length < FastCgiConstants.HeaderLength)
        {
            header = default;
            return false;
        }

        Span<byte> scratch = stackalloc byte[FastCgiConstants.HeaderLength];
        if (buffer.FirstSpan.Length >= FastCgiConstants.HeaderLength)
        {
            buffer.FirstSpan[..FastCgiConstants.HeaderLength].CopyTo(scratch);
        }
        else
        {
            buffer.Slice(0, FastCgiConstants.HeaderLength).CopyTo(scratch);
        }

        header = FastCgiRecordHeader.Read(scratch, out var version);
        Validate(header, version);
        return true;
    }

    // Checks what is wrong whoever sent it. Which types a side accepts, and which request ids are active,
    // is the connection's business.
    private static void Validate(in FastCgiRecordHeader header, byte version)
    {
        if (version != FastCgiConstants.Version1)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.UnsupportedVersion, $"version {version} in a record header, expected 1");
        }

        switch (header.Type)
        {
            case FastCgiRecordType.BeginRequest:
            case FastCgiRecordType.EndRequest:
                RequireApplicationId(header);
                RequireLength(header, FastCgiConstants.FixedBodyLength);
                break;
            case FastCgiRecordType.AbortRequest:
                RequireApplicationId(header);
                RequireLength(header, 0);
                break;
            case FastCgiRecordType.Params:
            case FastCgiRecordType.Stdin:
            case FastCgiRecordType.Stdout:
            case FastCgiRecordType.Stderr:
            case FastCgiRecordType.Data:
                RequireApplicationId(header);
                break;
            case FastCgiRecordType.GetValues:
            case FastCgiRecordType.GetValuesResult:
                RequireManagementId(header);
                break;
            case FastCgiRecordType.UnknownType:
                RequireManagementId(header);
                RequireLength(header, FastCgiConstants.FixedBodyLength);
                break;
            default:
                // Types beyond 11 are legal on the wire: the receiver answers UNKNOWN_TYPE or rejects them.
                break;
        }
    }

    private static void RequireLength(in FastCgiRecordHeader header, int length)
    {
        if (header.ContentLength != length)
        {
            throw new FastCgiProtocolException(
                FastCgiErrorKind.InvalidContentLength,
                $"{header.Type} with {header.ContentLength} content bytes, expected {length}",
                header.RequestId);
        }
    }

    private static void RequireApplicationId(in FastCgiRecordHeader header)
    {
        if (header.IsManagement)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.InvalidRequestId, $"{header.Type} with the management request id 0");
        }
    }

    private static void RequireManagementId(in FastCgiRecordHeader header)
    {
        if (!header.IsManagement)
        {
            throw new FastCgiProtocolException(
                FastCgiErrorKind.InvalidRequestId,
                $"management record {header.Type} with request id {header.RequestId}, expected 0",
                header.RequestId);
        }
    }
}
