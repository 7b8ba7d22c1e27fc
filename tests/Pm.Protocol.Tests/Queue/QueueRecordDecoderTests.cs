using System.Buffers;
using System.Text;
using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;

namespace Pm.Protocol.Tests.Queue;

public class QueueRecordDecoderTests
{
    private static readonly byte[] S = QueueRecordFixtures.StartBytes;
    private static readonly byte[] T = QueueRecordFixtures.MoreNeededBytes;
    private static readonly byte[] C = QueueRecordFixtures.CompleteBytes;
    private static readonly byte[] R = QueueRecordFixtures.BinaryChangedBytes;

    [Fact]
    public void TryDecode_FourRecordsBackToBack_GivesAllInOrder()
    {
        var result = DecodeAll.Run(RawRecord.Concat(S, T, C, R));

        result.Records.Should().Equal(
            QueueRecordFixtures.Start, QueueRecordFixtures.MoreNeeded, QueueRecordFixtures.Complete, QueueRecordFixtures.BinaryChanged);
        result.Skips.Should().BeEmpty();
        result.Decoder.Offset.Should().Be(S.Length + T.Length + C.Length + R.Length);
        result.Decoder.Records.Should().Be(4);
    }

    [Fact]
    public void TryDecode_SplitAtEveryPossibleSegmentBoundary_GivesTheSameRecords()
    {
        var data = RawRecord.Concat(S, C, T);
        for (var cut = 1; cut < data.Length; cut++)
        {
            for (var cut2 = cut; cut2 < data.Length; cut2 += 7)
            {
                var d = new DecodeAll();
                d.Feed(RawRecord.Segmented(data, cut, cut2), isFinal: true);

                d.Records.Should().HaveCount(3, $"cuts at {cut} and {cut2}");
                d.Records[1].Should().Be(QueueRecordFixtures.Complete);
                d.Skips.Should().BeEmpty();
            }
        }
    }

    [Fact]
    public void TryDecode_IncompleteRecordNotFinal_WaitsWithoutConsuming()
    {
        var d = new DecodeAll();

        for (var n = 0; n < C.Length; n++)
        {
            d.Feed(new ReadOnlySequence<byte>(C, 0, n), isFinal: false).Should().Be(n);
        }

        d.Records.Should().BeEmpty();
        d.Skips.Should().BeEmpty();
        d.Feed(new ReadOnlySequence<byte>(C), isFinal: false).Should().Be(0);
        d.Records.Should().ContainSingle().Which.Should().Be(QueueRecordFixtures.Complete);
    }

    [Fact]
    public void TryDecode_IncompleteRecordWhenFinal_IsSkippedAsTruncated()
    {
        var d = new DecodeAll();

        d.Feed(new ReadOnlySequence<byte>(RawRecord.Concat(S, C[..20])), isFinal: true).Should().Be(0);

        d.Records.Should().ContainSingle();
        d.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, S.Length, 20, QueueSkipReason.Truncated));
        d.Decoder.BadRecords.Should().Be(1);
    }

    [Fact]
    public void TryDecode_LoneMagicByteAtTheEnd_WaitsUnlessFinal()
    {
        var data = RawRecord.Concat(S, [0xFE]);

        DecodeAll.Run(data, isFinal: false).Skips.Should().BeEmpty();
        var final = DecodeAll.Run(data, isFinal: true);
        final.Skips.Should().ContainSingle().Which.Length.Should().Be(1);
    }

    [Fact]
    public void TryDecode_GarbageBetweenRecords_IsSkippedAndReportedWithOffsets()
    {
        var garbage1 = Encoding.ASCII.GetBytes("S /srv/app 33 33*");
        var garbage2 = new byte[] { 0xFE, 0xFE, 0x00, 0x51 };
        var data = RawRecord.Concat(garbage1, S, garbage2, T);

        var result = DecodeAll.Run(data);

        result.Records.Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.MoreNeeded);
        result.Skips.Should().Equal(
            new QueueSkip(QueueSource.Fifo, 0, garbage1.Length, QueueSkipReason.Garbage),
            new QueueSkip(QueueSource.Fifo, garbage1.Length + S.Length, garbage2.Length, QueueSkipReason.Garbage));
        result.Decoder.SkippedBytes.Should().Be(garbage1.Length + garbage2.Length);
        result.Decoder.BadRecords.Should().Be(0);
    }

    [Fact]
    public void TryDecode_FlippedByteInPath_SkipsThatRecordOnlyAsBadChecksum()
    {
        var bad = (byte[])T.Clone();
        bad[30] ^= 0x01;

        var result = DecodeAll.Run(RawRecord.Concat(S, bad, C));

        result.Records.Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.Complete);
        result.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, S.Length, T.Length, QueueSkipReason.BadChecksum));
        result.Decoder.BadRecords.Should().Be(1);
    }

    [Theory]
    [InlineData(2, 'S', QueueSkipReason.UnsupportedVersion)]
    [InlineData(0, 'S', QueueSkipReason.UnsupportedVersion)]
    [InlineData(1, 'Z', QueueSkipReason.UnknownKind)]
    [InlineData(1, 's', QueueSkipReason.UnknownKind)]
    public void TryDecode_UnknownVersionOrKind_IsSkippedWithItsReason(byte version, char kind, QueueSkipReason reason)
    {
        var odd = RawRecord.Build((byte)kind, "/x"u8.ToArray(), version: version);

        var result = DecodeAll.Run(RawRecord.Concat(odd, R));

        result.Records.Should().Equal(QueueRecordFixtures.BinaryChanged);
        result.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, 0, odd.Length, reason));
    }

    [Theory]
    [InlineData(65535, null)]
    [InlineData(4097, null)]
    [InlineData(28, null)]
    [InlineData(null, 0)]
    [InlineData(null, 2)]
    [InlineData(null, 4)]
    public void TryDecode_ImpossibleLengths_AreRejectedWithoutWaitingForThem(int? length, int? pathLength)
    {
        var odd = RawRecord.Build((byte)'S', "/xy"u8.ToArray(), lengthOverride: length, pathLengthOverride: pathLength);
        var d = new DecodeAll();

        // Not final: a decoder that believed the length would wait for up to 64 KiB that never come.
        d.Feed(new ReadOnlySequence<byte>(RawRecord.Concat(odd, S)), isFinal: false).Should().Be(0);

        d.Records.Should().Equal(QueueRecordFixtures.Start);
        d.Skips.Should().ContainSingle().Which.Reason.Should().Be(QueueSkipReason.BadLength);
    }

    [Fact]
    public void TryDecode_BogusLengthHidingAGoodRecord_FindsTheGoodRecord()
    {
        // A header claiming 200 bytes, whose "body" holds a real record: resynchronisation starts right after
        // the bogus magic, not after the claimed length.
        var bogus = RawRecord.Build((byte)'S', new byte[200 - 28]).AsSpan(0, 24).ToArray();
        var data = RawRecord.Concat(bogus, S, new byte[200], T);

        var result = DecodeAll.Run(data);

        result.Records.Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.MoreNeeded);
        result.Skips.Select(s => s.Reason).Should().Equal(QueueSkipReason.BadChecksum, QueueSkipReason.Garbage);
        result.Skips[0].Should().Be(new QueueSkip(QueueSource.Fifo, 0, 24, QueueSkipReason.BadChecksum));
    }

    [Fact]
    public void TryDecode_ValidChecksumButInvalidUtf8_SkipsTheWholeRecordAsInvalidPath()
    {
        var odd = RawRecord.Build((byte)'S', [0x2F, 0xC3, 0x28, 0x61]);

        var result = DecodeAll.Run(RawRecord.Concat(odd, S));

        result.Records.Should().Equal(QueueRecordFixtures.Start);
        result.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, 0, odd.Length, QueueSkipReason.InvalidPath));
    }

    [Fact]
    public void TryDecode_ValidChecksumButNulInPath_IsInvalidPath()
    {
        var odd = RawRecord.Build((byte)'T', "/a\0b"u8.ToArray());

        var result = DecodeAll.Run(odd);

        result.Records.Should().BeEmpty();
        result.Skips.Should().ContainSingle().Which.Reason.Should().Be(QueueSkipReason.InvalidPath);
    }

    [Fact]
    public void TryDecode_NegativeDuration_IsInvalidDuration()
    {
        var odd = RawRecord.Build((byte)'C', "/a"u8.ToArray(), queueMicros: -1, serviceMicros: 5);

        var result = DecodeAll.Run(RawRecord.Concat(odd, C));

        result.Records.Should().Equal(QueueRecordFixtures.Complete);
        result.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, 0, odd.Length, QueueSkipReason.InvalidDuration));
    }

    [Fact]
    public void TryDecode_AdjacentBadRecordsAndGarbage_AreReportedAsOneRun()
    {
        var badCrc = (byte[])S.Clone();
        badCrc[^1] ^= 0xFF;
        var data = RawRecord.Concat("junk"u8.ToArray(), badCrc, RawRecord.Build((byte)'Q', "/q"u8.ToArray()), "more"u8.ToArray(), T);

        var result = DecodeAll.Run(data);

        result.Records.Should().Equal(QueueRecordFixtures.MoreNeeded);
        result.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, 0, data.Length - T.Length, QueueSkipReason.Garbage));
        result.Decoder.BadRecords.Should().Be(2);
    }

    [Fact]
    public void TryDecode_OffsetsContinueAcrossCalls()
    {
        var d = new DecodeAll();
        d.Feed(new ReadOnlySequence<byte>(S), isFinal: false);

        d.Feed(new ReadOnlySequence<byte>(RawRecord.Concat("xx"u8.ToArray(), T)), isFinal: false);

        d.Skips.Should().Equal(new QueueSkip(QueueSource.Fifo, S.Length, 2, QueueSkipReason.Garbage));
        d.Decoder.Offset.Should().Be(S.Length + 2 + T.Length);
    }

    [Fact]
    public void Reset_StartsOffsetsAtZeroButKeepsCounting()
    {
        var d = new DecodeAll(QueueSource.Spool);
        d.Feed(new ReadOnlySequence<byte>(RawRecord.Concat(S, "x"u8.ToArray())), isFinal: true);

        d.Decoder.Reset();
        d.Feed(new ReadOnlySequence<byte>(RawRecord.Concat("yy"u8.ToArray(), S)), isFinal: true);

        d.Skips.Should().Equal(
            new QueueSkip(QueueSource.Spool, S.Length, 1, QueueSkipReason.Garbage),
            new QueueSkip(QueueSource.Spool, 0, 2, QueueSkipReason.Garbage));
        d.Decoder.Records.Should().Be(2);
        d.Decoder.SkippedBytes.Should().Be(3);
    }

    [Fact]
    public void TryDecode_SamePathTwice_ReusesTheString()
    {
        var result = DecodeAll.Run(RawRecord.Concat(S, S));

        result.Records.Should().HaveCount(2);
        ReferenceEquals(result.Records[0].Path, result.Records[1].Path).Should().BeTrue();
    }
}
