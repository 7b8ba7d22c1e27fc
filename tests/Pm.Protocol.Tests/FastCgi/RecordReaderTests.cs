using System.Buffers;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

public class RecordReaderTests
{
    // BEGIN_REQUEST, id 1, RESPONDER, KEEP_CONN.
    private static readonly byte[] BeginResponderKeepConn = Hex("01 01 00 01 00 08 00 00 | 00 01 01 00 00 00 00 00");

    [Fact]
    public void TryRead_BeginRequest_GivesRoleAndFlags()
    {
        var buffer = new ReadOnlySequence<byte>(BeginResponderKeepConn);

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Header.Should().Be(new FastCgiRecordHeader(FastCgiRecordType.BeginRequest, 1, 8, 0));
        var body = FastCgiBeginRequestBody.Read(record.Content);
        body.Role.Should().Be(FastCgiRole.Responder);
        body.KeepConnection.Should().BeTrue();
        buffer.IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData("01 01 00 07 00 08 00 00 | 00 02 00 00 00 00 00 00", FastCgiRole.Authorizer, false)]
    [InlineData("01 01 00 07 00 08 00 00 | 00 03 01 00 00 00 00 00", FastCgiRole.Filter, true)]
    [InlineData("01 01 00 07 00 08 00 00 | 01 00 00 ff ff ff ff ff", (FastCgiRole)256, false)]
    public void TryRead_BeginRequest_AnyRoleIsReadNotJudged(string hex, FastCgiRole role, bool keepConn)
    {
        var buffer = new ReadOnlySequence<byte>(Hex(hex));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        var body = FastCgiBeginRequestBody.Read(record.Content);
        body.Should().Be(new FastCgiBeginRequestBody(role, keepConn ? FastCgiBeginRequestFlags.KeepConnection : FastCgiBeginRequestFlags.None));
    }

    [Fact]
    public void TryRead_AbortRequest_HasNoContent()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("01 02 12 34 00 00 00 00"));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Header.Should().Be(new FastCgiRecordHeader(FastCgiRecordType.AbortRequest, 0x1234, 0, 0));
    }

    [Theory]
    [InlineData("01 03 00 01 00 08 00 00 | 00 00 00 00 00 00 00 00", 0, FastCgiProtocolStatus.RequestComplete)]
    [InlineData("01 03 00 01 00 08 00 00 | 00 00 00 00 01 00 00 00", 0, FastCgiProtocolStatus.CantMultiplexConnection)]
    [InlineData("01 03 00 01 00 08 00 00 | 01 02 03 04 02 00 00 00", 0x01020304, FastCgiProtocolStatus.Overloaded)]
    [InlineData("01 03 00 01 00 08 00 00 | ff ff ff ff 03 00 00 00", -1, FastCgiProtocolStatus.UnknownRole)]
    public void TryRead_EndRequest_GivesAppAndProtocolStatus(string hex, int appStatus, FastCgiProtocolStatus status)
    {
        var buffer = new ReadOnlySequence<byte>(Hex(hex));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        FastCgiEndRequestBody.Read(record.Content).Should().Be(new FastCgiEndRequestBody(appStatus, status));
    }

    [Theory]
    [InlineData(FastCgiRecordType.Params)]
    [InlineData(FastCgiRecordType.Stdin)]
    [InlineData(FastCgiRecordType.Stdout)]
    [InlineData(FastCgiRecordType.Stderr)]
    [InlineData(FastCgiRecordType.Data)]
    public void TryRead_StreamRecord_GivesContentWithoutPadding(FastCgiRecordType type)
    {
        // "hello" is 5 bytes, padded with 3 to 8.
        var bytes = Concat(Hex($"01 {(byte)type:x2} 00 02 00 05 03 00"), Ascii("hello"), Hex("00 00 00"));
        var buffer = new ReadOnlySequence<byte>(bytes);

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Type.Should().Be(type);
        record.RequestId.Should().Be(2);
        record.Content.ToArray().Should().Equal(Ascii("hello"));
        buffer.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void TryRead_EmptyStreamRecord_IsEndOfStream()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("01 05 00 01 00 00 00 00"));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Type.Should().Be(FastCgiRecordType.Stdin);
        record.Content.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void TryRead_GetValues_IsManagementRecordWithPairs()
    {
        // FCGI_MPXS_CONNS (15 bytes) with an empty value: 2 + 15 = 17 content bytes, 7 padding.
        var bytes = Concat(Hex("01 09 00 00 00 11 07 00 | 0f 00"), Ascii("FCGI_MPXS_CONNS"), new byte[7]);
        var buffer = new ReadOnlySequence<byte>(bytes);

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Header.IsManagement.Should().BeTrue();
        var names = FastCgiParams.Parse(record.Content);
        names.Select(p => (p.Key, p.Value)).Should().Equal(("FCGI_MPXS_CONNS", string.Empty));
    }

    [Fact]
    public void TryRead_GetValuesResult_GivesValues()
    {
        var bytes = Concat(Hex("01 0a 00 00 00 12 06 00 | 0f 01"), Ascii("FCGI_MPXS_CONNS1"), new byte[6]);
        var buffer = new ReadOnlySequence<byte>(bytes);

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        record.Type.Should().Be(FastCgiRecordType.GetValuesResult);
        FastCgiParams.Parse(record.Content).GetValue("FCGI_MPXS_CONNS").Should().Be("1");
    }

    [Fact]
    public void TryRead_UnknownType_GivesTheTypeNotUnderstood()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("01 0b 00 00 00 08 00 00 | c8 00 00 00 00 00 00 00"));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        FastCgiUnknownTypeBody.Read(record.Content).Type.Should().Be(200);
    }

    [Fact]
    public void TryRead_TypeBeyondTheSpec_IsReadForTheConnectionToAnswer()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("01 c8 00 00 00 02 06 00 | aa bb 00 00 00 00 00 00"));

        FastCgiRecordReader.TryRead(ref buffer, out var record).Should().BeTrue();

        ((byte)record.Type).Should().Be(200);
        record.Content.ToArray().Should().Equal(0xaa, 0xbb);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(255)]
    public void TryRead_AnyPadding_IsSkipped(byte padding)
    {
        var record = Records.Raw((byte)FastCgiRecordType.Stdout, 1, Ascii("abc"), padding);
        var next = Records.Raw((byte)FastCgiRecordType.Stdout, 1, []);
        var buffer = new ReadOnlySequence<byte>(Concat(record, next));

        FastCgiRecordReader.TryRead(ref buffer, out var first).Should().BeTrue();
        FastCgiRecordReader.TryRead(ref buffer, out var second).Should().BeTrue();

        first.Content.ToArray().Should().Equal(Ascii("abc"));
        second.Content.IsEmpty.Should().BeTrue();
        buffer.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void TryRead_EveryPrefixOfARecord_IsIncompleteAndConsumesNothing()
    {
        var bytes = Concat(Hex("01 06 00 01 00 05 03 00"), Ascii("hello"), Hex("00 00 00"));
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);

            FastCgiRecordReader.TryRead(ref buffer, out _).Should().BeFalse($"{length} of {bytes.Length} bytes is not a record");
            buffer.Length.Should().Be(length);
        }
    }

    [Fact]
    public void TryRead_RecordSplitOverOneByteSegments_IsReadWhole()
    {
        var bytes = Concat(BeginResponderKeepConn, Hex("01 04 00 01 00 04 04 00 | 01 01 41 62 00 00 00 00"));
        var buffer = OneBytePerSegment(bytes);

        FastCgiRecordReader.TryRead(ref buffer, out var begin).Should().BeTrue();
        FastCgiBeginRequestBody.Read(begin.Content).Role.Should().Be(FastCgiRole.Responder);
        FastCgiRecordReader.TryRead(ref buffer, out var parameters).Should().BeTrue();
        FastCgiParams.Parse(parameters.Content).GetValue("A").Should().Be("b");
        buffer.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void TryRead_SeveralRequestsInterleaved_KeepTheirIds()
    {
        var bytes = Records.Encode(w =>
        {
            FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, Ascii("one"));
            FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 2, Ascii("two"));
            FastCgiRecordWriter.WriteEndRequest(w, 2, 0, FastCgiProtocolStatus.RequestComplete);
            FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, Ascii("uno"));
        });

        var records = Records.ReadAll(bytes);

        records.Select(r => (r.RequestId, r.Type)).Should().Equal(
            (1, FastCgiRecordType.Stdout), (2, FastCgiRecordType.Stdout), (2, FastCgiRecordType.EndRequest), (1, FastCgiRecordType.Stdout));
    }

    [Theory]
    [InlineData("00 06 00 01 00 00 00 00", FastCgiErrorKind.UnsupportedVersion)]
    [InlineData("02 06 00 01 00 00 00 00", FastCgiErrorKind.UnsupportedVersion)]
    [InlineData("01 01 00 01 00 07 01 00", FastCgiErrorKind.InvalidContentLength)] // BEGIN_REQUEST of 7 bytes
    [InlineData("01 03 00 01 00 09 07 00", FastCgiErrorKind.InvalidContentLength)] // END_REQUEST of 9 bytes
    [InlineData("01 02 00 01 00 01 07 00", FastCgiErrorKind.InvalidContentLength)] // ABORT_REQUEST with content
    [InlineData("01 0b 00 00 ff ff 00 00", FastCgiErrorKind.InvalidContentLength)] // UNKNOWN_TYPE of 65535 bytes
    [InlineData("01 05 00 00 00 00 00 00", FastCgiErrorKind.InvalidRequestId)] // STDIN on the management id
    [InlineData("01 01 00 00 00 08 00 00", FastCgiErrorKind.InvalidRequestId)] // BEGIN_REQUEST on the management id
    [InlineData("01 09 00 05 00 00 00 00", FastCgiErrorKind.InvalidRequestId)] // GET_VALUES with a request id
    [InlineData("01 0a 00 01 00 00 00 00", FastCgiErrorKind.InvalidRequestId)] // GET_VALUES_RESULT with a request id
    public void TryRead_InvalidHeader_ThrowsFromTheHeaderAlone(string header, FastCgiErrorKind kind)
    {
        // Only the 8 header bytes are given: the error must not wait for content it would have to buffer.
        var buffer = new ReadOnlySequence<byte>(Hex(header));

        var read = () => FastCgiRecordReader.TryRead(ref buffer, out _);

        read.Should().Throw<FastCgiProtocolException>().Which.Kind.Should().Be(kind);
    }

    [Fact]
    public void TryReadHeader_LargeContentAnnounced_IsKnownBeforeTheContentArrives()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("01 04 00 01 ff ff 01 00"));

        FastCgiRecordReader.TryReadHeader(buffer, out var header).Should().BeTrue();
        FastCgiRecordReader.TryRead(ref buffer, out _).Should().BeFalse();

        header.ContentLength.Should().Be(65535);
        header.TotalLength.Should().Be(FastCgiConstants.MaxRecordLength - 254);
    }
}
