using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>Hand-built wire records, including ones no QueueWriter would produce, with a correct or chosen CRC.</summary>
public static class RawRecord
{
    public static byte[] Build(
        byte kind,
        byte[] path,
        byte version = 1,
        long queueMicros = 0,
        long serviceMicros = 0,
        int? lengthOverride = null,
        int? pathLengthOverride = null)
    {
        var fixedBytes = kind == (byte)'C' ? 40 : 24;
        var length = fixedBytes + path.Length + 4;
        var b = new byte[length];
        b[0] = 0xFE;
        b[1] = 0x51;
        b[2] = version;
        b[3] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), (ushort)(lengthOverride ?? length));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), (ushort)(pathLengthOverride ?? path.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 2);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16), 3);
        if (kind == (byte)'C')
        {
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(24), queueMicros);
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(32), serviceMicros);
        }

        path.CopyTo(b.AsSpan(fixedBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(length - 4), Crc32.HashToUInt32(b.AsSpan(0, length - 4)));
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A sequence whose segments end at the given cut points, to exercise records split across segments.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToArray();
        Segment? first = null, last = null;
        var start = 0;
        foreach (var end in bounds)
        {
            var memory = data.AsMemory(start, end - start);
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }

            start = end;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
