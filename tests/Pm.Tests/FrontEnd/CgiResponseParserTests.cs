using System.Buffers;
using System.Text;
using Pm.FrontEnd.Cgi;

namespace Pm.Tests.FrontEnd;

/// <summary>The CGI response header block, from byte fixtures, whole and cut into pieces at every position.</summary>
public sealed class CgiResponseParserTests
{
    private static (CgiResponseHead Head, string Body) Parse(string response, int maxHeaderBytes = CgiResponseParser.DefaultMaxHeaderBytes)
    {
        var bytes = Encoding.Latin1.GetBytes(response);
        var head = new CgiResponseHead();
        var buffer = new ReadOnlySequence<byte>(bytes);
        CgiResponseParser.TryParse(ref buffer, head, maxHeaderBytes).Should().BeTrue("the block is complete");
        return (head, Encoding.Latin1.GetString(buffer.ToArray()));
    }

    [Fact]
    public void TryParse_PlainDocument_GivesTypeHeadersAndBody()
    {
        var (head, body) = Parse("Content-Type: text/html\r\nX-One: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n<p>hi</p>");
        head.EffectiveStatus.Should().Be(200);
        head.ContentType.Should().Be("text/html");
        Lines(head).Should().Equal("X-One: 1", "Set-Cookie: a=1", "Set-Cookie: b=2");
        body.Should().Be("<p>hi</p>");
    }

    [Fact]
    public void TryParse_BareLineFeeds_AreLineEnds()
    {
        var (head, body) = Parse("Content-type: text/plain\nStatus: 201 Created\n\nok");
        head.ContentType.Should().Be("text/plain");
        head.Status.Should().Be(201);
        head.Reason.Should().Be("Created");
        body.Should().Be("ok");
    }

    [Fact]
    public void TryParse_StatusWithoutReason_KeepsTheCode()
    {
        var (head, _) = Parse("Status: 404\r\nContent-Type: text/plain\r\n\r\n");
        head.EffectiveStatus.Should().Be(404);
        head.Reason.Should().BeNull();
    }

    [Fact]
    public void TryParse_LocationWithoutStatus_IsA302()
    {
        var (head, body) = Parse("Location: http://example.test/x\r\n\r\n");
        head.EffectiveStatus.Should().Be(302);
        head.Location.Should().Be("http://example.test/x");
        body.Should().BeEmpty();
    }

    [Fact]
    public void TryParse_LocationWithStatus_KeepsTheStatus()
    {
        Parse("Status: 301 Moved Permanently\r\nLocation: /new\r\n\r\n").Head.EffectiveStatus.Should().Be(301);
    }

    [Fact]
    public void TryParse_NeitherContentTypeNorLocation_IsMalformed()
    {
        var act = () => Parse("X-Only: 1\r\n\r\nbody");
        act.Should().Throw<CgiResponseException>().WithMessage("*neither a Content-Type nor a Location*");
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public void TryParse_BodylessStatusWithoutContentType_IsAccepted(int status)
    {
        Parse($"Status: {status}\r\n\r\n").Head.EffectiveStatus.Should().Be(status);
    }

    [Theory]
    [InlineData("this is not a header\r\n\r\n", "without a name")]
    [InlineData(": no name\r\n\r\n", "without a name")]
    [InlineData("Content-Type: text/plain\r\n folded: line\r\n\r\n", "folded")]
    [InlineData("Bad Name: x\r\nContent-Type: text/plain\r\n\r\n", "not allowed in a name")]
    [InlineData("Content-Type: text/plain\r\nX: a\u0001b\r\n\r\n", "control character")]
    [InlineData("Status: abc\r\nContent-Type: text/plain\r\n\r\n", "invalid Status")]
    [InlineData("Status: 99\r\nContent-Type: text/plain\r\n\r\n", "invalid Status")]
    [InlineData("Status: 100 Continue\r\nContent-Type: text/plain\r\n\r\n", "200 to 599")]
    [InlineData("Status: 200\r\nStatus: 404\r\nContent-Type: text/plain\r\n\r\n", "twice")]
    [InlineData("Content-Type: text/plain\r\nContent-Length: -1\r\n\r\n", "Content-Length")]
    [InlineData("Content-Type: text/plain\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length")]
    [InlineData("Location:\r\n\r\n", "empty Location")]
    public void TryParse_MalformedBlocks_Throw(string response, string problem)
    {
        var act = () => Parse(response);
        act.Should().Throw<CgiResponseException>().WithMessage($"*{problem}*");
    }

    [Fact]
    public void TryParse_HopByHopHeaders_AreLeftOut()
    {
        var (head, _) = Parse("Content-Type: text/plain\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nKeep-Alive: 5\r\nX-Kept: 1\r\n\r\n");
        Lines(head).Should().Equal("X-Kept: 1");
    }

    [Fact]
    public void TryParse_ContentLength_IsReadAsANumber()
    {
        Parse("Content-Type: text/plain\r\nContent-Length: 1234\r\n\r\n").Head.ContentLength.Should().Be(1234);
    }

    [Fact]
    public void TryParse_BytesAbove127_PassAsLatin1()
    {
        var (head, _) = Parse("Content-Type: text/plain\r\nX-Name: caf\u00e9\r\n\r\n");
        head.Headers.Single().Value.Should().Be("caf\u00e9");
    }

    [Fact]
    public void TryParse_KnownHeaderNames_AreTheSharedStrings()
    {
        var (head, _) = Parse("Content-Type: text/plain\r\nset-cookie: a=1\r\n\r\n");
        head.Headers.Single().Key.Should().BeSameAs(Microsoft.Net.Http.Headers.HeaderNames.SetCookie);
    }

    [Fact]
    public void TryParse_CutAtEveryPosition_GivesTheSameHeadAndBody()
    {
        const string response = "Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-A: 1\nX-A: 2\r\n\r\nbody bytes";
        var bytes = Encoding.ASCII.GetBytes(response);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var head = new CgiResponseHead();

            // First piece: whatever is complete in it is consumed; the rest waits for more bytes.
            var buffer = new ReadOnlySequence<byte>(bytes, 0, cut);
            var done = CgiResponseParser.TryParse(ref buffer, head);
            var consumed = cut - (int)buffer.Length;
            if (!done)
            {
                buffer = new ReadOnlySequence<byte>(bytes, consumed, bytes.Length - consumed);
                CgiResponseParser.TryParse(ref buffer, head).Should().BeTrue();
            }
            else
            {
                buffer = new ReadOnlySequence<byte>(bytes, consumed, bytes.Length - consumed);
            }

            head.Status.Should().Be(404, $"cut at {cut}");
            Lines(head).Should().Equal("X-A: 1", "X-A: 2");
            Encoding.ASCII.GetString(buffer.ToArray()).Should().Be("body bytes");
        }
    }

    [Fact]
    public void TryParse_BlockSplitOverSegments_IsParsed()
    {
        var first = new Segment(Encoding.ASCII.GetBytes("Content-Ty"));
        var last = first.Append(Encoding.ASCII.GetBytes("pe: text/plain\r")).Append(Encoding.ASCII.GetBytes("\n\r\nrest"));
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        var head = new CgiResponseHead();
        CgiResponseParser.TryParse(ref buffer, head).Should().BeTrue();
        head.ContentType.Should().Be("text/plain");
        Encoding.ASCII.GetString(buffer.ToArray()).Should().Be("rest");
    }

    [Fact]
    public void TryParse_BlockLongerThanTheLimit_ThrowsBeforeItEnds()
    {
        var head = new CgiResponseHead();
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("Content-Type: text/plain\r\nX-Long: " + new string('x', 200)));
        var act = () => CgiResponseParser.TryParse(ref buffer, head, maxHeaderBytes: 100);
        act.Should().Throw<CgiResponseException>().WithMessage("*longer than 100 bytes*");
    }

    [Fact]
    public void TryParse_ManyCompleteLinesOverTheLimit_Throw()
    {
        var lines = string.Concat(Enumerable.Repeat("X-A: 1\r\n", 20));
        var act = () => Parse("Content-Type: text/plain\r\n" + lines + "\r\n", maxHeaderBytes: 100);
        act.Should().Throw<CgiResponseException>();
    }

    private static IEnumerable<string> Lines(CgiResponseHead head) => head.Headers.Select(h => $"{h.Key}: {h.Value}");

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes)
        {
            Memory = bytes;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
