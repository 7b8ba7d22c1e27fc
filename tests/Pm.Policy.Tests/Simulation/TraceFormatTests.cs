using Pm.Engine;
using System.Text;
using Pm.Simulation;

namespace Pm.Policy.Tests.Simulation;

public sealed class TraceFormatTests
{
    [Fact]
    public void WriteThenRead_AppIdsWithAnyCharacters_RoundTripExactly()
    {
        var trace = new Trace(
        [
            new TraceRequest(TimeSpan.FromSeconds(0.000001), "/srv/a,b%c#d.fcgi", TimeSpan.FromMilliseconds(12.5)),
            new TraceRequest(TimeSpan.FromSeconds(1.5), "/srv/café/中文 app\nwith newline\t.fcgi", TimeSpan.Zero),
            new TraceRequest(TimeSpan.FromSeconds(86_400), "plain", TimeSpan.FromMilliseconds(60_000)),
        ]);
        var text = new StringWriter();

        TraceWriter.WriteTrace(text, trace, "two\nheader lines");
        var read = Read(text.ToString());

        read.Requests.Should().Equal(trace.Requests);
        text.ToString().Should().Contain("# two\n# header lines\n").And.Contain("/srv/a%2Cb%25c%23d.fcgi");
    }

    [Fact]
    public void Read_CommentsBlankLinesHeaderAndCrLf_AreSkipped_AndRequestsSortedStably()
    {
        var read = Read("# comment\r\n\r\nseconds,app,service_ms\r\n2,b,1\r\n1,a,2\r\n  1 , c , 3  \r\n2,d,4");

        read.Requests.Select(r => r.App).Should().Equal("a", "c", "b", "d");
        read.Requests[1].Should().Be(new TraceRequest(TimeSpan.FromSeconds(1), "c", TimeSpan.FromMilliseconds(3)));
        read.Apps.Should().Equal("a", "c", "b", "d");
        read.Duration.Should().Be(TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("# header\n1.0,app\n", 2, "expected three fields")]
    [InlineData("1,a,b,2\n", 1, "expected three fields")]
    [InlineData("-1,app,5\n", 1, "arrival time")]
    [InlineData("soon,app,5\n", 1, "arrival time")]
    [InlineData("1,app,-5\n", 1, "service time")]
    [InlineData("1,app,NaN\n", 1, "service time")]
    [InlineData("1,,5\n", 1, "the app is empty")]
    [InlineData("1,a%zz,5\n", 1, "two hex digits")]
    [InlineData("1,a%C3,5\n", 1, "not valid UTF-8")]
    public void Read_MalformedLine_ThrowsNamingTheLine(string text, long line, string message)
    {
        var act = () => Read(text);

        var error = act.Should().Throw<TraceFormatException>().Which;
        error.Line.Should().Be(line);
        error.Message.Should().Contain(message);
    }

    [Theory]
    [InlineData("")]   // runs past the read buffer without a newline
    [InlineData("\n")] // ends inside the read buffer
    public void Read_LineLongerThanTheLimit_IsRefused(string end)
    {
        var text = "1,app,5\n1," + new string('x', TraceReader.MaxLineBytes) + ",5" + end + (end.Length > 0 ? "2,app,5\n" : new string('x', 100_000));

        var act = () => Read(text);

        act.Should().Throw<TraceFormatException>().Which.Should().Match<TraceFormatException>(
            e => e.Line == 2 && e.Message.Contains($"longer than {TraceReader.MaxLineBytes} bytes"));
    }

    [Fact]
    public void Read_MoreRequestsThanTheLimit_Throws()
    {
        var act = () => TraceReader.Read(new MemoryStream("1,a,1\n2,a,1\n3,a,1\n"u8.ToArray()), maxRequests: 2);

        act.Should().Throw<TraceFormatException>().WithMessage("trace line 3: more than 2 requests");
    }

    [Fact]
    public void Read_InputInTinyChunks_ParsesTheSame()
    {
        var bytes = Encoding.UTF8.GetBytes("0.5,app,1\n0.25,café,2\n");

        var read = TraceReader.Read(new TrickleStream(bytes));

        read.Requests.Select(r => r.App).Should().Equal("café", "app");
    }

    [Fact]
    public void WriteCompletion_ArrivalIsCompletionMinusQueueAndServiceTime_RelativeToTheOrigin()
    {
        var origin = new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var text = new StringWriter();
        using (var writer = new TraceWriter(text, origin))
        {
            writer.WriteCompletion("/app", origin.AddSeconds(10), TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(250));
            writer.WriteCompletion("/app", origin.AddSeconds(0.1), TimeSpan.FromSeconds(1), TimeSpan.Zero);
        }

        var read = Read(text.ToString());

        read.Requests.Should().Equal(
            new TraceRequest(TimeSpan.Zero, "/app", TimeSpan.Zero),
            new TraceRequest(TimeSpan.FromSeconds(8.25), "/app", TimeSpan.FromMilliseconds(250)));
        text.ToString().Should().Contain("# origin 2024-01-01T12:00:00.0000000Z");
    }

    [Fact]
    public void Write_AppTooLongForALine_IsRefused()
    {
        using var writer = new TraceWriter(new StringWriter());

        var act = () => writer.Write(TimeSpan.Zero, new string('/', TraceReader.MaxLineBytes), TimeSpan.Zero);

        act.Should().Throw<ArgumentException>().WithMessage("*too long*");
    }

    private static Trace Read(string text) => TraceReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    // Returns one byte per Read, so every line straddles buffer refills.
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(1, count));
    }
}
