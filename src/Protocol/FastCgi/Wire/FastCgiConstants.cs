namespace Pm.Protocol.FastCgi;

/// <summary>Numbers fixed by the FastCGI 1.0 specification (spec §8).</summary>
public static class FastCgiConstants
{
    /// <summary>FCGI_VERSION_1, the only version there is.</summary>
    public const byte Version1 = 1;

    /// <summary>FCGI_HEADER_LEN.</summary>
    public const int HeaderLength = 8;

    /// <summary>FCGI_NULL_REQUEST_ID: management records use request id 0.</summary>
    public const ushort ManagementRequestId = 0;

    /// <summary>FCGI_LISTENSOCK_FILENO: an application started by a process manager finds its listening socket on fd 0.</summary>
    public const int ListenSocketFileDescriptor = 0;

    /// <summary>The largest content one record can carry (contentLength is 16 bits).</summary>
    public const int MaxContentLength = ushort.MaxValue;

    /// <summary>
    /// The largest content length that is a multiple of 8. Stream content is cut into records of this size so
    /// that every full record needs no padding and the next header stays 8-byte aligned.
    /// </summary>
    public const int MaxAlignedContentLength = MaxContentLength & ~7;

    /// <summary>The largest record on the wire: header, 65535 content bytes and 255 padding bytes.</summary>
    public const int MaxRecordLength = HeaderLength + MaxContentLength + byte.MaxValue;

    /// <summary>Length of the fixed bodies of BEGIN_REQUEST, END_REQUEST and UNKNOWN_TYPE.</summary>
    public const int FixedBodyLength = 8;

    /// <summary>Padding that brings <paramref name="contentLength"/> up to a multiple of 8, as the spec recommends.</summary>
    public static byte PaddingFor(int contentLength) => (byte)(-contentLength & 7);
}
