using System.Buffers;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// One parsed record. <see cref="Content"/> is a slice of the buffer it was read from and is valid only until
/// that buffer is advanced past; copy what must outlive it.
/// </summary>
public readonly struct FastCgiRecord
{
    public FastCgiRecord(FastCgiRecordHeader header, ReadOnlySequence<byte> content)
    {
        Header = header;
        Content = content;
    }

    public FastCgiRecordHeader Header { get; }

    public ReadOnlySequence<byte> Content { get; }

    public FastCgiRecordType Type => Header.Type;

    public ushort RequestId => Header.RequestId;

    public override string ToString() => $"{Header.Type} id={Header.RequestId} content={Header.ContentLength} padding={Header.PaddingLength}";
}
