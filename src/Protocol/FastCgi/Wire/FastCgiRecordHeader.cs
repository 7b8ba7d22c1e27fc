using System.Buffers.Binary;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The fixed 8-byte header in front of every record (spec §3.3):
/// <code>
///   typedef struct {
///       unsigned char version;          // FCGI_VERSION_1
///       unsigned char type;             // FastCgiRecordType
///       unsigned char requestIdB1;      // request id, big-endian
///       unsigned char requestIdB0;
///       unsigned char contentLengthB1;  // 0..65535 content bytes follow
///       unsigned char contentLengthB0;
///       unsigned char paddingLength;    // 0..255 bytes to ignore after the content
///       unsigned char reserved;
///   } FCGI_Header;
/// </code>
/// </summary>
public readonly record struct FastCgiRecordHeader(FastCgiRecordType Type, ushort RequestId, ushort ContentLength, byte PaddingLength)
{
    /// <summary>Header, content and padding.</summary>
    public int TotalLength => FastCgiConstants.HeaderLength + ContentLength + PaddingLength;

    /// <summary>Management records (spec §3.3) carry request id 0 and concern the connection, not a request.</summary>
    public bool IsManagement => RequestId == FastCgiConstants.ManagementRequestId;

    /// <summary>Reads a header from exactly 8 bytes. The version is returned, not checked: the caller decides.</summary>
    public static FastCgiRecordHeader Read(ReadOnlySpan<byte> source, out byte version)
    {
        version = source[0];
        return new FastCgiRecordHeader(
            (FastCgiRecordType)source[1],
            BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            source[6]);
    }

    /// <summary>Writes the header (version 1) into the first 8 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination = destination[..FastCgiConstants.HeaderLength];
        destination[0] = FastCgiConstants.Version1;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], RequestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], ContentLength);
        destination[6] = PaddingLength;
        destination[7] = 0;
    }
}
