using System.Buffers;
using System.Buffers.Binary;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// Content of END_REQUEST (spec §5.5):
/// <code>
///   typedef struct {
///       unsigned char appStatusB3;      // the application's exit status, big-endian 32 bits
///       unsigned char appStatusB2;
///       unsigned char appStatusB1;
///       unsigned char appStatusB0;
///       unsigned char protocolStatus;   // FastCgiProtocolStatus
///       unsigned char reserved[3];
///   } FCGI_EndRequestBody;
/// </code>
/// </summary>
public readonly record struct FastCgiEndRequestBody(int AppStatus, FastCgiProtocolStatus ProtocolStatus)
{
    public static FastCgiEndRequestBody Read(in ReadOnlySequence<byte> content)
    {
        Span<byte> bytes = stackalloc byte[FastCgiConstants.FixedBodyLength];
        content.Slice(0, FastCgiConstants.FixedBodyLength).CopyTo(bytes);
        return new FastCgiEndRequestBody(BinaryPrimitives.ReadInt32BigEndian(bytes), (FastCgiProtocolStatus)bytes[4]);
    }

    public void Write(Span<byte> destination)
    {
        destination = destination[..FastCgiConstants.FixedBodyLength];
        destination.Clear();
        BinaryPrimitives.WriteInt32BigEndian(destination, AppStatus);
        destination[4] = (byte)ProtocolStatus;
    }
}
