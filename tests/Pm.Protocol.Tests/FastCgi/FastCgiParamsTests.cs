using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

public class FastCgiParamsTests
{
    private static FastCgiParams Encode(params (string Name, string Value)[] pairs)
    {
        var bytes = Records.Encode(w => FastCgiRecordWriter.WriteParams(w, 1, pairs.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToList()));
        return FastCgiParams.Parse(Records.ReadAll(bytes).SelectMany(r => r.Content).ToArray());
    }

    [Fact]
    public void Parameters_KeepTheirOrder()
    {
        var parameters = Encode(("B", "2"), ("A", "1"), ("C", "3"));

        parameters.Select(p => p.Key).Should().Equal("B", "A", "C");
        parameters.Count.Should().Be(3);
        parameters[1].Should().Be(new KeyValuePair<string, string>("A", "1"));
    }

    [Fact]
    public void Duplicates_AreKept_AndLookupGivesTheLast()
    {
        var parameters = Encode(("HTTP_COOKIE", "a=1"), ("X", "y"), ("HTTP_COOKIE", "b=2"));

        parameters.Count.Should().Be(3);
        parameters.GetValue("HTTP_COOKIE").Should().Be("b=2");
        parameters.IndexOf("HTTP_COOKIE").Should().Be(2);
    }

    [Fact]
    public void Lookup_IsCaseSensitive_AndMissingNamesGiveNull()
    {
        var parameters = Encode(("SCRIPT_NAME", "/a"));

        parameters.GetValue("script_name").Should().BeNull();
        parameters.TryGetValue("SCRIPT_NAME", out var value).Should().BeTrue();
        value.Should().Be("/a");
        parameters.ContainsName("PATH_INFO").Should().BeFalse();
    }

    [Fact]
    public void EmptyValues_AreDistinctFromMissing()
    {
        var parameters = Encode(("QUERY_STRING", string.Empty));

        parameters.GetValue("QUERY_STRING").Should().Be(string.Empty);
    }

    [Fact]
    public void RawValues_KeepBytesThatAreNotUtf8()
    {
        var stream = new byte[] { 1, 2, (byte)'K', 0xff, 0xfe };

        var parameters = FastCgiParams.Parse(stream);

        parameters.GetRawValue(0).ToArray().Should().Equal(0xff, 0xfe);
        parameters.GetValue("K").Should().Be("\uFFFD\uFFFD");
    }

    [Fact]
    public void LongNames_AreLookedUp()
    {
        var name = "HTTP_" + new string('X', 1000);
        var parameters = Encode((name, "v"));

        parameters.GetValue(name).Should().Be("v");
        parameters.IndexOf(Encoding.UTF8.GetBytes(name)).Should().Be(0);
    }
}
