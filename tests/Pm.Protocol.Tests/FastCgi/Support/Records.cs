using System.Buffers;
using Pm.Protocol.FastCgi;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Encodes records with the library's writer into byte arrays, and reads all records of a byte array.</summary>
internal static class Records
{
    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A record as raw bytes, with any version and padding (for malformed input).</summary>
    public static byte[] Raw(byte type, ushort requestId, byte[] content, byte padding = 0, byte version = 1)
    {
        var bytes = new byte[8 + content.Length + padding];
        bytes[0] = version;
        bytes[1] = type;
        bytes[2] = (byte)(requestId >> 8);
        bytes[3] = (byte)requestId;
        bytes[4] = (byte)(content.Length >> 8);
        bytes[5] = (byte)content.Length;
        bytes[6] = padding;
        content.CopyTo(bytes, 8);
        return bytes;
    }

    public static List<ParsedRecord> ReadAll(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var records = new List<ParsedRecord>();
        while (FastCgiRecordReader.TryRead(ref buffer, out var record))
        {
            records.Add(new ParsedRecord(record.Header, record.Content.ToArray()));
        }

        buffer.Length.Should().Be(0, "the bytes hold only whole records");
        return records;
    }

    internal sealed record ParsedRecord(FastCgiRecordHeader Header, byte[] Content)
    {
        public FastCgiRecordType Type => Header.Type;

        public ushort RequestId => Header.RequestId;
    }
}
