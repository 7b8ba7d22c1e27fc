using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

public class RecordWriterTests
{
    [Fact]
    public void WriteBeginRequest_MatchesTheSpecLayout()
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteBeginRequest(w, 1, FastCgiRole.Responder, FastCgiBeginRequestFlags.KeepConnection));

        bytes.Should().Equal(Hex("01 01 00 01 00 08 00 00 | 00 01 01 00 00 00 00 00"));
    }

    [Fact]
    public void WriteBeginRequest_FilterWithoutKeepConn_MatchesTheSpecLayout()
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteBeginRequest(w, 0x0102, FastCgiRole.Filter, FastCgiBeginRequestFlags.None));

        bytes.Should().Equal(Hex("01 01 01 02 00 08 00 00 | 00 03 00 00 00 00 00 00"));
    }

    [Fact]
    public void WriteAbortRequest_IsAHeaderAlone()
    {
        Records.Encode(w => FastCgiRecordWriter.WriteAbortRequest(w, 3)).Should().Equal(Hex("01 02 00 03 00 00 00 00"));
    }

    [Fact]
    public void WriteEndRequest_MatchesTheSpecLayout()
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteEndRequest(w, 1, 0x01020304, FastCgiProtocolStatus.UnknownRole));

        bytes.Should().Equal(Hex("01 03 00 01 00 08 00 00 | 01 02 03 04 03 00 00 00"));
    }

    [Fact]
    public void WriteUnknownType_MatchesTheSpecLayout()
    {
        Records.Encode(w => FastCgiRecordWriter.WriteUnknownType(w, 42)).Should().Equal(Hex("01 0b 00 00 00 08 00 00 | 2a 00 00 00 00 00 00 00"));
    }

    [Theory]
    [InlineData(FastCgiRecordType.Stdin)]
    [InlineData(FastCgiRecordType.Stdout)]
    [InlineData(FastCgiRecordType.Stderr)]
    [InlineData(FastCgiRecordType.Data)]
    public void WriteStream_PadsToEightBytes(FastCgiRecordType type)
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteStream(w, type, 1, Ascii("hello")));

        bytes.Should().Equal(Concat(Hex($"01 {(byte)type:x2} 00 01 00 05 03 00"), Ascii("hello"), Hex("00 00 00")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(65528)]
    [InlineData(65535)]
    public void WriteStream_EveryRecordIsAligned(int length)
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, new byte[length]));

        (bytes.Length % 8).Should().Be(0);
        Records.ReadAll(bytes).Sum(r => r.Content.Length).Should().Be(length);
    }

    [Fact]
    public void WriteStream_EmptyContent_WritesNothing()
    {
        Records.Encode(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, ReadOnlySpan<byte>.Empty)).Should().BeEmpty();
    }

    [Fact]
    public void WriteEndOfStream_IsAnEmptyRecord()
    {
        Records.Encode(w => FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stdin, 1)).Should().Equal(Hex("01 05 00 01 00 00 00 00"));
    }

    [Fact]
    public void WriteStream_ContentOver65535_IsSplitAndComesBackWhole()
    {
        var content = new byte[200_000];
        new Random(7).NextBytes(content);

        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 9, content));
        var records = Records.ReadAll(bytes);

        records.Should().HaveCount(4);
        records.Should().OnlyContain(r => r.Type == FastCgiRecordType.Stdout && r.RequestId == 9 && r.Content.Length <= 65535);
        records.SelectMany(r => r.Content).Should().Equal(content);
    }

    [Fact]
    public void WriteStream_SequenceOfManySegmentsOver65535_IsSplitAndComesBackWhole()
    {
        var content = new byte[140_001];
        new Random(8).NextBytes(content);
        var source = Segmented(content, 1, 5000, 65527, 65528, 65529, 131_000);

        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdin, 2, source));

        Records.ReadAll(bytes).SelectMany(r => r.Content).Should().Equal(content);
    }

    [Fact]
    public void WriteParams_SmallSet_IsOneRecordThenTheEmptyOne()
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteParams(w, 1, [new("A", "b")]));

        bytes.Should().Equal(Hex("01 04 00 01 00 04 04 00 | 01 01 41 62 00 00 00 00 | 01 04 00 01 00 00 00 00"));
    }

    [Fact]
    public void WriteParams_NoParameters_IsOnlyTheEmptyRecord()
    {
        Records.Encode(w => FastCgiRecordWriter.WriteParams(w, 1, [])).Should().Equal(Hex("01 04 00 01 00 00 00 00"));
    }

    [Fact]
    public void WriteParams_LargerThanOneRecord_IsSplitAndParsesBack()
    {
        var parameters = Enumerable.Range(0, 40)
            .Select(i => new KeyValuePair<string, string>($"HTTP_X_{i}", new string((char)('a' + (i % 26)), 3000 + i)))
            .ToList();

        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteParams(w, 5, parameters));
        var records = Records.ReadAll(bytes);

        records.Should().HaveCountGreaterThan(2);
        records[^1].Content.Should().BeEmpty();
        var stream = records.SelectMany(r => r.Content).ToArray();
        FastCgiParams.Parse(stream).Select(p => (p.Key, p.Value)).Should().Equal(parameters.Select(p => (p.Key, p.Value)));
    }

    [Fact]
    public void WriteManagementPairs_GetValues_HasEmptyValuesAndAlwaysSomePadding()
    {
        // 16 content bytes would need no padding, but libfcgi hangs on an unpadded GET_VALUES: 8 bytes are added.
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteManagementPairs(w, FastCgiRecordType.GetValues, [new("FCGI_MAX_CONNS", string.Empty)]));

        bytes.Should().Equal(Concat(Hex("01 09 00 00 00 10 08 00 | 0e 00"), Ascii("FCGI_MAX_CONNS"), new byte[8]));
    }

    [Fact]
    public void WriteManagementPairs_GetValuesResult_IsPaddedToEightBytes()
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteManagementPairs(w, FastCgiRecordType.GetValuesResult, [new("FCGI_MPXS_CONNS", "1")]));

        bytes.Should().Equal(Concat(Hex("01 0a 00 00 00 12 06 00 | 0f 01"), Ascii("FCGI_MPXS_CONNS1"), new byte[6]));
    }

    [Fact]
    public void WriteManagementPairs_TooLargeForOneRecord_Throws()
    {
        var write = () => Records.Encode(w => FastCgiRecordWriter.WriteManagementPairs(w, FastCgiRecordType.GetValuesResult, [new("X", new string('v', 70_000))]));

        write.Should().Throw<ArgumentException>();
    }
}
