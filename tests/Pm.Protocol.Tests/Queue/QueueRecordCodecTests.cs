using System.Buffers;
using Pm.Protocol.Queue;

namespace Pm.Protocol.Tests.Queue;

public class QueueRecordCodecTests
{
    [Theory]
    [MemberData(nameof(QueueRecordFixtures.Names), MemberType = typeof(QueueRecordFixtures))]
    public void Encode_EachKind_MatchesFixtureBytes(string name)
    {
        var (record, bytes) = QueueRecordFixtures.Get(name);

        QueueRecordFixtures.Encode(record).Should().Equal(bytes);
        QueueRecordCodec.GetEncodedLength(record).Should().Be(bytes.Length);
    }

    [Theory]
    [MemberData(nameof(QueueRecordFixtures.Names), MemberType = typeof(QueueRecordFixtures))]
    public void Decode_EachFixture_GivesTheRecord(string name)
    {
        var (record, bytes) = QueueRecordFixtures.Get(name);
        var decoder = new QueueRecordDecoder(QueueSource.Fifo);
        var buffer = new ReadOnlySequence<byte>(bytes);

        decoder.TryDecode(ref buffer, isFinal: true, out var decoded).Should().BeTrue();

        decoded.Should().Be(record);
        buffer.IsEmpty.Should().BeTrue();
        decoder.SkippedBytes.Should().Be(0);
    }

    [Fact]
    public void Complete_Fixture_CarriesBothDurationsAndTimestamp()
    {
        var r = QueueRecordFixtures.Complete;

        r.QueueTime.Should().Be(TimeSpan.FromMicroseconds(1500));
        r.ServiceTime.Should().Be(TimeSpan.FromMilliseconds(250));
        r.TimestampMicroseconds.Should().Be(1);
        QueueRecordFixtures.Start.Timestamp.Should().Be(QueueRecordFixtures.Epoch17);
    }

    [Theory]
    [InlineData('L')]
    [InlineData('X')]
    public void OverdueRequest_RoundTrips_WithItsRunningTimeAndSocketInode(char kind)
    {
        var elapsed = TimeSpan.FromMilliseconds(30_250);
        const ulong inode = 4_123_456_789;
        var record = kind == 'L'
            ? QueueRecord.SlowRequest("/srv/app.fcgi", 33, 34, QueueRecordFixtures.Epoch17, elapsed, inode)
            : QueueRecord.RequestTimedOut("/srv/app.fcgi", 33, 34, QueueRecordFixtures.Epoch17, elapsed, inode);
        var bytes = QueueRecordFixtures.Encode(record);
        var buffer = new ReadOnlySequence<byte>(bytes);

        new QueueRecordDecoder(QueueSource.Fifo).TryDecode(ref buffer, true, out var decoded).Should().BeTrue();

        bytes[3].Should().Be((byte)kind);
        bytes.Length.Should().Be(QueueRecordCodec.HeaderBytes + QueueRecordCodec.CompleteExtraBytes + "/srv/app.fcgi".Length + 4);
        decoded.Should().Be(record);
        decoded.Elapsed.Should().Be(elapsed);
        decoded.ClientSocketInode.Should().Be(inode);
    }

    [Theory]
    [InlineData("/srv/app with spaces/index.fcgi")]
    [InlineData("/srv/star*dust/*")]
    [InlineData("/srv/new\nline/\r\t")]
    [InlineData("/srv/\u00fcml\u00e4ut/\u6f22\u5b57/\U0001F600.fcgi")]
    [InlineData("S /srv/a 33 33*")]
    [InlineData("x")]
    public void RoundTrip_PathsModFastCgiCouldNotCarry_ComeBackExactly(string path)
    {
        var record = QueueRecord.Complete(path, 12, 34, QueueRecordFixtures.Epoch17, TimeSpan.FromMilliseconds(3), TimeSpan.FromSeconds(2));
        var buffer = new ReadOnlySequence<byte>(QueueRecordFixtures.Encode(record));

        new QueueRecordDecoder(QueueSource.Spool).TryDecode(ref buffer, true, out var decoded).Should().BeTrue();

        decoded.Should().Be(record);
        decoded.Path.Should().Be(path);
    }

    [Fact]
    public void Encode_LongestAllowedPath_FitsInPipeBuf()
    {
        var path = "/" + new string('p', QueueRecordCodec.MaxPathBytes - 1);

        var bytes = QueueRecordFixtures.Encode(QueueRecord.Complete(path, 1, 1, QueueRecordFixtures.Epoch17, TimeSpan.Zero, TimeSpan.Zero));

        bytes.Length.Should().Be(QueueRecordCodec.MaxRecordBytes);
        QueueRecordCodec.MaxPathBytes.Should().Be(4052);
    }

    [Fact]
    public void Factory_PathOneByteTooLong_IsRefusedNotTruncated()
    {
        var path = "/" + new string('p', QueueRecordCodec.MaxPathBytes);

        var act = () => QueueRecord.Start(path, 1, 1, QueueRecordFixtures.Epoch17);

        act.Should().Throw<QueuePathTooLongException>()
            .Where(e => e.PathBytes == QueueRecordCodec.MaxPathBytes + 1)
            .WithMessage("*4053 bytes*at most 4052*");
    }

    [Fact]
    public void Factory_MultiBytePathOverTheLimit_CountsUtf8Bytes()
    {
        // 1400 characters, 4200 bytes of UTF-8: short in chars, too long on the wire.
        var path = "/" + new string('\u6f22', 1400);

        var act = () => QueueRecord.MoreNeeded(path, 1, 1, QueueRecordFixtures.Epoch17);

        act.Should().Throw<QueuePathTooLongException>().Where(e => e.PathBytes == 4201);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/a\0b")]
    public void Factory_InvalidPath_IsRefused(string path)
    {
        var act = () => QueueRecord.Start(path, 1, 1, QueueRecordFixtures.Epoch17);

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Factory_LoneSurrogate_IsRefusedNotReplaced()
    {
        // Not InlineData: xunit's serialisation of theory data would already have replaced the surrogate.
        var path = "/lone" + (char)0xD800 + "surrogate";

        var act = () => QueueRecord.Start(path, 1, 1, QueueRecordFixtures.Epoch17);

        act.Should().Throw<ArgumentException>().WithMessage("*not valid UTF-16*");
    }

    [Fact]
    public void Complete_NegativeDuration_IsRefused()
    {
        var act = () => QueueRecord.Complete("/a", 1, 1, QueueRecordFixtures.Epoch17, TimeSpan.FromTicks(-10), TimeSpan.Zero);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Encode_DefaultRecord_IsRefused()
    {
        var act = () => QueueRecordCodec.Encode(default, new byte[4096]);

        act.Should().Throw<ArgumentException>().WithMessage("*default QueueRecord*");
    }

    [Fact]
    public void Encode_DestinationTooSmall_IsRefused()
    {
        var act = () => QueueRecordCodec.Encode(QueueRecordFixtures.Start, new byte[29]);

        act.Should().Throw<ArgumentException>().WithMessage("*needs 30*");
    }
}
