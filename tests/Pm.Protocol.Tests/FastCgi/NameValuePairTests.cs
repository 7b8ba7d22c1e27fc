using Pm.Protocol.FastCgi;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

public class NameValuePairTests
{
    [Fact]
    public void Parse_OneByteLengths_Pair11()
    {
        var parameters = FastCgiParams.Parse(Concat(Hex("03 02"), Ascii("abcde")));

        parameters.Select(p => (p.Key, p.Value)).Should().Equal(("abc", "de"));
    }

    [Fact]
    public void Parse_OneByteNameFourByteValue_Pair14()
    {
        var value = new string('v', 128);
        var parameters = FastCgiParams.Parse(Concat(Hex("01 80 00 00 80"), Ascii("n" + value)));

        parameters.GetValue("n").Should().Be(value);
    }

    [Fact]
    public void Parse_FourByteNameOneByteValue_Pair41()
    {
        var name = new string('N', 200);
        var parameters = FastCgiParams.Parse(Concat(Hex("80 00 00 c8 01"), Ascii(name + "1")));

        parameters.GetValue(name).Should().Be("1");
    }

    [Fact]
    public void Parse_FourByteLengths_Pair44()
    {
        var name = new string('N', 128);
        var value = new string('v', 300);
        var parameters = FastCgiParams.Parse(Concat(Hex("80 00 00 80 80 00 01 2c"), Ascii(name + value)));

        parameters.GetValue(name).Should().Be(value);
    }

    [Fact]
    public void Parse_FourByteFormForShortLengths_IsAccepted()
    {
        var parameters = FastCgiParams.Parse(Concat(Hex("80 00 00 01 80 00 00 01"), Ascii("ab")));

        parameters.GetValue("a").Should().Be("b");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(127, 1)]
    [InlineData(128, 4)]
    [InlineData(int.MaxValue, 4)]
    public void WriteLength_UsesTheShortestForm(int length, int expectedBytes)
    {
        var buffer = new byte[4];

        FastCgiNameValuePair.WriteLength(buffer, length).Should().Be(expectedBytes);
        FastCgiNameValuePair.LengthOfLength(length).Should().Be(expectedBytes);
        if (expectedBytes == 4)
        {
            (buffer[0] & 0x80).Should().Be(0x80);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(127, 127)]
    [InlineData(128, 0)]
    [InlineData(1, 128)]
    [InlineData(128, 300)]
    public void Write_ThenParse_RoundTripsEveryLengthForm(int nameLength, int valueLength)
    {
        var name = new string('n', nameLength);
        var value = new string('v', valueLength);
        var buffer = new byte[FastCgiNameValuePair.GetEncodedLength(name, value)];

        var written = FastCgiNameValuePair.Write(buffer, name, value);

        written.Should().Be(buffer.Length);
        var parameters = FastCgiParams.Parse(buffer);
        parameters.Select(p => (p.Key, p.Value)).Should().Equal((name, value));
    }

    [Fact]
    public void Write_Utf8_RoundTrips()
    {
        var buffer = new byte[FastCgiNameValuePair.GetEncodedLength("PATH_INFO", "/été/日本")];
        FastCgiNameValuePair.Write(buffer, "PATH_INFO", "/été/日本");

        FastCgiParams.Parse(buffer).GetValue("PATH_INFO").Should().Be("/été/日本");
    }

    [Theory]
    [InlineData("03")] // cut inside the lengths
    [InlineData("80 00 00")] // cut inside a 4-byte length
    [InlineData("03 02 61 62 63 64")] // value one byte short
    [InlineData("05 00 61")] // name longer than what is left
    [InlineData("ff ff ff ff 00")] // name length 2^31-1 with nothing behind it
    [InlineData("00 ff ff ff ff")] // value length 2^31-1 with nothing behind it
    public void Parse_Truncated_ThrowsMalformed(string hex)
    {
        var limits = FastCgiLimits.Default with { MaxNameLength = int.MaxValue, MaxValueLength = int.MaxValue };

        var parse = () => FastCgiParams.Parse(Hex(hex), limits);

        parse.Should().Throw<FastCgiProtocolException>().Which.Kind.Should().Be(FastCgiErrorKind.MalformedNameValuePair);
    }

    [Fact]
    public void Parse_NameOverLimit_ThrowsBeforeLookingAtTheBytes()
    {
        var limits = FastCgiLimits.Default with { MaxNameLength = 100 };

        // Announces a 1000-byte name but carries none: the limit must be checked first.
        var parse = () => FastCgiParams.Parse(Hex("80 00 03 e8 00"), limits);

        parse.Should().Throw<FastCgiProtocolException>().Which.Kind.Should().Be(FastCgiErrorKind.NameTooLong);
    }

    [Fact]
    public void Parse_ValueOverLimit_Throws()
    {
        var limits = FastCgiLimits.Default with { MaxValueLength = 10 };

        var parse = () => FastCgiParams.Parse(Concat(Hex("01 0b"), Ascii("a" + new string('v', 11))), limits);

        parse.Should().Throw<FastCgiProtocolException>().Which.Kind.Should().Be(FastCgiErrorKind.ValueTooLong);
    }

    [Fact]
    public void Parse_StreamOverLimit_ThrowsParamsTooLarge()
    {
        var limits = FastCgiLimits.Default with { MaxParamsBytes = 4 };

        var parse = () => FastCgiParams.Parse(Concat(Hex("01 02"), Ascii("abc")), limits);

        parse.Should().Throw<FastCgiProtocolException>().Which.Kind.Should().Be(FastCgiErrorKind.ParamsTooLarge);
    }
}
