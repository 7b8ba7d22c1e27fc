using System.Buffers;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// Content of UNKNOWN_TYPE, the answer to a management record the receiver does not understand (spec §4.2):
/// <code>
///   typedef struct {
///       unsigned char type;         // the type that was not understood
///       unsigned char reserved[7];
///   } FCGI_UnknownTypeBody;
/// </code>
/// </summary>
public readonly record struct FastCgiUnknownTypeBody(byte Type)
{
    public static FastCgiUnknownTypeBody Read(in ReadOnlySequence<byte> content)
    {
        Span<byte> bytes = stackalloc byte[FastCgiConstants.FixedBodyLength];
        content.Slice(0, FastCgiConstants.FixedBodyLength).CopyTo(bytes);
        return new FastCgiUnknownTypeBody(bytes[0]);
    }

    public void Write(Span<byte> destination)
    {
        destination = destination[..FastCgiConstants.FixedBodyLength];
        destination.Clear();
        destination[0] = Type;
    }
}
