using System.Buffers;
using System.Buffers.Binary;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// Content of BEGIN_REQUEST (spec §5.1):
/// <code>
///   typedef struct {
///       unsigned char roleB1;       // FastCgiRole, big-endian
///       unsigned char roleB0;
///       unsigned char flags;        // FCGI_KEEP_CONN = 1
///       unsigned char reserved[5];
///   } FCGI_BeginRequestBody;
/// </code>
/// The role is kept as a raw number: an unknown role is answered with END_REQUEST UNKNOWN_ROLE, not rejected.
/// </summary>
public readonly record struct FastCgiBeginRequestBody(FastCgiRole Role, FastCgiBeginRequestFlags Flags)
{
    public bool KeepConnection => (Flags & FastCgiBeginRequestFlags.KeepConnection) != 0;

    /// <summary>Reads the 8-byte body; the record reader has already checked its length.</summary>
    public static FastCgiBeginRequestBody Read(in ReadOnlySequence<byte> content)
    {
        Span<byte> bytes = stackalloc byte[FastCgiConstants.FixedBodyLength];
        content.Slice(0, FastCgiConstants.FixedBodyLength).CopyTo(bytes);
        return new FastCgiBeginRequestBody((FastCgiRole)BinaryPrimitives.ReadUInt16BigEndian(bytes), (FastCgiBeginRequestFlags)bytes[2]);
    }

    public void Write(Span<byte> destination)
    {
        destination = destination[..FastCgiConstants.FixedBodyLength];
        destination.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Role);
        destination[2] = (byte)Flags;
    }
}
