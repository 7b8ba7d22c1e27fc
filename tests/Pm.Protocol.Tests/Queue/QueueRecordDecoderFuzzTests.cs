using System.Buffers;
using CsCheck;
using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;

namespace Pm.Protocol.Tests.Queue;

/// <summary>
/// Hostile and damaged input: random bytes, bytes rich in magic and plausible headers, truncation, bit flips and
/// arbitrary segmentation. The decoder must only ever produce records that were really written, skip the rest
/// with a count, never throw, and never wait for bytes once the input is final.
/// </summary>
public class QueueRecordDecoderFuzzTests
{
    private static readonly string[] PathParts = ["/srv/a", " sp ace", "*", "\n", "\u00fc", "\u6f22", "/index.fcgi", "\U0001F600"];

    private static readonly Gen<QueueRecord> GenRecord =
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, PathParts.Length - 1].Array[1, 6], Gen.UInt, Gen.UInt, Gen.Long[0, 1L << 52], Gen.Long[0, 1L << 40])
            .Select((kind, parts, uid, gid, micros, duration) =>
            {
                var path = string.Concat(parts.Select(i => PathParts[i]));
                var at = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
                return kind switch
                {
                    0 => QueueRecord.Start(path, uid, gid, at),
                    1 => QueueRecord.MoreNeeded(path, uid, gid, at),
                    2 => QueueRecord.Complete(path, uid, gid, at, TimeSpan.FromTicks(duration), TimeSpan.FromTicks(duration / 3)),
                    _ => QueueRecord.BinaryChanged(path, uid, gid, at),
                };
            });

    // Garbage that often looks like the start of a record: magic bytes, version 1, kind letters, small lengths.
    private static readonly Gen<byte[]> GenTrickyBytes =
        Gen.Frequency((3, (IGen<byte>)Gen.Byte), (2, Gen.OneOf<byte>(0xFE, 0x51, 0x01, (byte)'S', (byte)'C', 0x1E, 0x2F, 0x00, 0x10))).Array[0, 300];

    [Fact]
    public void RandomBytes_OnlyCountedSkips_EveryByteAccountedFor()
    {
        Gen.Byte.Array[0, 5000].Sample(data =>
        {
            var result = DecodeAll.Run(data);

            result.Decoder.SkippedBytes.Should().Be(data.Length - result.Records.Sum(r => (long)QueueRecordCodec.GetEncodedLength(r)));
            result.Decoder.Offset.Should().Be(data.Length);
            result.Skips.Sum(s => s.Length).Should().Be(result.Decoder.SkippedBytes);
        }, iter: 2000);
    }

    [Fact]
    public void TrickyBytes_NeverYieldARecord_AndNeverThrow()
    {
        GenTrickyBytes.Array[1, 20].Sample(chunks =>
        {
            var data = chunks.SelectMany(c => c).ToArray();

            var result = DecodeAll.Run(data);

            result.Records.Should().BeEmpty();
            result.Decoder.SkippedBytes.Should().Be(data.Length);
        }, iter: 2000);
    }

    [Fact]
    public void RecordsAmongTrickyGarbage_AreAllFoundInOrder()
    {
        Gen.Select(GenRecord, GenTrickyBytes).Array[1, 30].Sample(items =>
        {
            var data = items.SelectMany(i => i.Item2.Concat(QueueRecordFixtures.Encode(i.Item1))).ToArray();

            var result = DecodeAll.Run(data);

            result.Records.Should().Equal(items.Select(i => i.Item1));
        }, iter: 1000);
    }

    [Fact]
    public void IncrementalFeeding_AtRandomChunkSizes_GivesTheSameAsAllAtOnce()
    {
        Gen.Select(Gen.Select(GenRecord, GenTrickyBytes).Array[1, 20], Gen.Int[1, 700]).Sample((items, chunk) =>
        {
            var data = items.SelectMany(i => i.Item2.Concat(QueueRecordFixtures.Encode(i.Item1))).ToArray();
            var whole = DecodeAll.Run(data);

            // The way the reader feeds a decoder: append what arrived to what was left, final only at the end.
            var parts = new DecodeAll();
            var pending = Array.Empty<byte>();
            for (var at = 0; at < data.Length; at += chunk)
            {
                pending = pending.Concat(data.Skip(at).Take(chunk)).ToArray();
                var left = parts.Feed(new ReadOnlySequence<byte>(pending), isFinal: false);
                pending = pending[^(int)left..];
            }

            parts.Feed(new ReadOnlySequence<byte>(pending), isFinal: true);
            parts.Records.Should().Equal(whole.Records);
            parts.Decoder.SkippedBytes.Should().Be(whole.Decoder.SkippedBytes);
        }, iter: 500);
    }

    [Fact]
    public void RandomSegmentation_GivesTheSameRecords()
    {
        Gen.Select(GenRecord.Array[1, 15], Gen.Int[0, 4000].Array[0, 12]).Sample((records, cuts) =>
        {
            var data = records.SelectMany(r => QueueRecordFixtures.Encode(r)).ToArray();
            var d = new DecodeAll();

            d.Feed(RawRecord.Segmented(data, cuts), isFinal: true);

            d.Records.Should().Equal(records);
        }, iter: 500);
    }

    [Fact]
    public void TruncatedStream_GivesEveryCompleteRecordBeforeTheCut()
    {
        Gen.Select(GenRecord.Array[1, 20], Gen.Double[0, 1]).Sample((records, where) =>
        {
            var encoded = records.Select(r => QueueRecordFixtures.Encode(r)).ToArray();
            var data = encoded.SelectMany(e => e).ToArray();
            var cut = (int)(where * data.Length);

            var result = DecodeAll.Run(data[..cut]);

            var complete = 0;
            for (var sum = 0; complete < encoded.Length && sum + encoded[complete].Length <= cut; complete++)
            {
                sum += encoded[complete].Length;
            }

            result.Records.Should().Equal(records.Take(complete));
        }, iter: 1000);
    }

    [Fact]
    public void BitFlips_NeverAlterOrInventARecord_AndCostAtMostOneRecordEach()
    {
        Gen.Select(GenRecord.Array[1, 20], Gen.Int[0, int.MaxValue].Array[1, 5]).Sample((records, flips) =>
        {
            var data = records.SelectMany(r => QueueRecordFixtures.Encode(r)).ToArray();
            var bits = flips.Select(f => f % (data.Length * 8)).Distinct().ToArray();
            foreach (var bit in bits)
            {
                data[bit / 8] ^= (byte)(1 << (bit % 8));
            }

            var result = DecodeAll.Run(data);

            IsSubsequence(result.Records, records).Should().BeTrue("decoded records must be original records, in order");
            result.Records.Count.Should().BeGreaterThanOrEqualTo(records.Length - bits.Length);
        }, iter: 1000);
    }

    [Fact]
    public void OversizedInput_OneMegabyteOfTrickyBytes_IsSkippedInBoundedSteps()
    {
        var data = GenTrickyBytes.Array[3500, 3500].Single().SelectMany(c => c).ToArray();
        var d = new DecodeAll();
        var buffer = new ReadOnlySequence<byte>(data);
        var calls = 0;

        while (d.Decoder.TryDecode(ref buffer, isFinal: true, out _))
        {
            calls++;
        }

        buffer.IsEmpty.Should().BeTrue();
        calls.Should().Be(0);
        d.Decoder.SkippedBytes.Should().Be(data.Length);
        data.Length.Should().BeGreaterThan(400_000);
    }

    private static bool IsSubsequence(IReadOnlyList<QueueRecord> sub, IReadOnlyList<QueueRecord> all)
    {
        var j = 0;
        foreach (var r in sub)
        {
            while (j < all.Count && all[j] != r)
            {
                j++;
            }

            if (j == all.Count)
            {
                return false;
            }

            j++;
        }

        return true;
    }
}
