using System.Buffers;
using Pm.Protocol.Queue;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>Runs a decoder over a whole input and collects what came out.</summary>
public sealed class DecodeAll
{
    public List<QueueRecord> Records { get; } = [];

    public List<QueueSkip> Skips { get; } = [];

    public QueueRecordDecoder Decoder { get; }

    public DecodeAll(QueueSource source = QueueSource.Fifo)
    {
        Decoder = new QueueRecordDecoder(source, Skips.Add);
    }

    public static DecodeAll Run(byte[] data, bool isFinal = true)
    {
        var d = new DecodeAll();
        d.Feed(new ReadOnlySequence<byte>(data), isFinal);
        return d;
    }

    /// <summary>Decodes everything it can; returns the bytes left over (an incomplete record when not final).</summary>
    public long Feed(ReadOnlySequence<byte> buffer, bool isFinal)
    {
        while (Decoder.TryDecode(ref buffer, isFinal, out var record))
        {
            Records.Add(record);
        }

        return buffer.Length;
    }
}
