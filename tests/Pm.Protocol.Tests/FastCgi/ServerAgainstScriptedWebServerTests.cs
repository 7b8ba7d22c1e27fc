using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>
/// The server against a web server scripted in raw records: its answers to management records, refusals, and
/// what it does with records that break the protocol.
/// </summary>
public class ServerAgainstScriptedWebServerTests
{
    private static readonly byte[] BeginResponderKeepConn = Hex("01 01 00 01 00 08 00 00 | 00 01 01 00 00 00 00 00");

    private static byte[] EmptyParamsAndStdin(ushort id) => Records.Encode(w =>
    {
        FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Params, id);
        FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stdin, id);
    });

    private static async ValueTask<int> Hello(FastCgiServerRequest request)
    {
        await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes("hi"));
        return 7;
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Request_IsAnsweredWithStdoutItsEndAndEndRequest()
    {
        await using var server = ServerHarness.Start(Hello);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(BeginResponderKeepConn, EmptyParamsAndStdin(1)));
        var records = await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        records.Select(r => (r.Type, r.RequestId, Convert.ToHexString(r.Content))).Should().Equal(
            (FastCgiRecordType.Stdout, 1, "6869"),
            (FastCgiRecordType.Stdout, 1, string.Empty),
            (FastCgiRecordType.EndRequest, 1, "0000000700000000"));
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task RecordsWithOddPadding_AreAccepted()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(
            Records.Raw((byte)FastCgiRecordType.BeginRequest, 1, Hex("00 01 01 00 00 00 00 00"), padding: 3),
            Records.Raw((byte)FastCgiRecordType.Params, 1, Hex("01 01 41 62"), padding: 255),
            Records.Raw((byte)FastCgiRecordType.Params, 1, [], padding: 1),
            Records.Raw((byte)FastCgiRecordType.Stdin, 1, Ascii("xyz"), padding: 0),
            Records.Raw((byte)FastCgiRecordType.Stdin, 1, [], padding: 17)));
        var records = await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        Encoding.ASCII.GetString(records[0].Content).Should().Be("A=b\nstdin=3\n");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task WithoutKeepConn_TheServerClosesAfterEndRequest()
    {
        await using var server = ServerHarness.Start(Hello);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(Hex("01 01 00 01 00 08 00 00 | 00 01 00 00 00 00 00 00"), EmptyParamsAndStdin(1)));
        await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        (await web.IsClosedAsync()).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GetValues_IsAnsweredFromTheOptions_UnknownNamesLeftOut()
    {
        await using var server = ServerHarness.Start(Hello, new FastCgiServerOptions { MaxConnections = 3, MaxRequests = 30 });
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(w => FastCgiRecordWriter.WriteManagementPairs(
            w,
            FastCgiRecordType.GetValues,
            TestHandlers.Params(("FCGI_MPXS_CONNS", string.Empty), ("FCGI_UNHEARD_OF", string.Empty), ("FCGI_MAX_REQS", string.Empty), ("FCGI_MAX_CONNS", string.Empty))));
        var answer = await web.ReadRecordAsync();

        answer.Header.Should().Be(answer.Header with { Type = FastCgiRecordType.GetValuesResult, RequestId = 0 });
        FastCgiParams.Parse(answer.Content).Select(p => (p.Key, p.Value)).Should().Equal(
            ("FCGI_MPXS_CONNS", "1"), ("FCGI_MAX_REQS", "30"), ("FCGI_MAX_CONNS", "3"));
    }

    [Theory(Timeout = TestTimeouts.TestMilliseconds)]
    [InlineData(10)] // GET_VALUES_RESULT: a management type an application never receives
    [InlineData(12)]
    [InlineData(255)]
    public async Task UnknownManagementType_IsAnsweredUnknownType_AndTheConnectionGoesOn(byte type)
    {
        await using var server = ServerHarness.Start(Hello);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Records.Raw(type, 0, Ascii("whatever")));
        var answer = await web.ReadRecordAsync();
        await web.SendAsync(Concat(BeginResponderKeepConn, EmptyParamsAndStdin(1)));
        var records = await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        answer.Type.Should().Be(FastCgiRecordType.UnknownType);
        FastCgiUnknownTypeBody.Read(new(answer.Content)).Type.Should().Be(type);
        records.Should().HaveCount(3);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task UnknownRole_IsAnsweredUnknownRole_AndItsLaterRecordsIgnored()
    {
        await using var server = ServerHarness.Start(Hello);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(Hex("01 01 00 01 00 08 00 00 | 00 09 01 00 00 00 00 00"), EmptyParamsAndStdin(1)));
        var refusal = await web.ReadRecordAsync();
        await web.SendAsync(Concat(BeginResponderKeepConn, EmptyParamsAndStdin(1)));
        var records = await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        FastCgiEndRequestBody.Read(new(refusal.Content)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.UnknownRole);
        records.Should().HaveCount(3, "the refused request's PARAMS and STDIN were ignored, the next request served");
        server.Errors.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task RecordsForARequestNeverBegun_AreIgnored()
    {
        await using var server = ServerHarness.Start(Hello);
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(
            Records.Raw((byte)FastCgiRecordType.Stdin, 5, Ascii("stray")),
            Records.Raw((byte)FastCgiRecordType.AbortRequest, 6, []),
            BeginResponderKeepConn,
            EmptyParamsAndStdin(1)));
        var records = await web.ReadUntilAsync(FastCgiRecordType.EndRequest, 1);

        records.Should().HaveCount(3);
        server.Errors.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task AbortBeforeTheParamsEnd_IsAnsweredAtOnce()
    {
        var handled = false;
        await using var server = ServerHarness.Start(request =>
        {
            handled = true;
            return ValueTask.FromResult(0);
        });
        await using var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(BeginResponderKeepConn, Records.Encode(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Params, 1, Hex("01 01 41 62"))), Records.Raw((byte)FastCgiRecordType.AbortRequest, 1, [])));
        var end = await web.ReadRecordAsync();

        end.Type.Should().Be(FastCgiRecordType.EndRequest);
        FastCgiEndRequestBody.Read(new(end.Content)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.RequestComplete);
        handled.Should().BeFalse();
    }

    public static TheoryData<string, byte[], FastCgiErrorKind> Violations => new()
    {
        { "bad version", Hex("03 01 00 01 00 08 00 00 | 00 01 01 00 00 00 00 00"), FastCgiErrorKind.UnsupportedVersion },
        { "BEGIN_REQUEST twice", Concat(BeginResponderKeepConn, BeginResponderKeepConn), FastCgiErrorKind.DuplicateRequestId },
        { "STDIN before PARAMS ended", Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Stdin, 1, Ascii("x"))), FastCgiErrorKind.UnexpectedRecordOrder },
        { "PARAMS after PARAMS ended", Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Params, 1, []), Records.Raw((byte)FastCgiRecordType.Params, 1, Hex("01 01 41 62"))), FastCgiErrorKind.UnexpectedRecordOrder },
        { "STDOUT sent to an application", Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Stdout, 1, Ascii("x"))), FastCgiErrorKind.UnexpectedRecordType },
        { "DATA for a RESPONDER", Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Params, 1, []), Records.Raw((byte)FastCgiRecordType.Data, 1, Ascii("x"))), FastCgiErrorKind.UnexpectedRecordType },
        { "malformed PARAMS", Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Params, 1, Hex("05 05 41")), Records.Raw((byte)FastCgiRecordType.Params, 1, [])), FastCgiErrorKind.MalformedNameValuePair },
        { "malformed GET_VALUES", Records.Raw((byte)FastCgiRecordType.GetValues, 0, Hex("80 00")), FastCgiErrorKind.MalformedNameValuePair },
        { "type 12 for a request", Records.Raw(12, 1, []), FastCgiErrorKind.UnexpectedRecordType },
    };

    [Theory(Timeout = TestTimeouts.TestMilliseconds)]
    [MemberData(nameof(Violations))]
    public async Task ProtocolViolation_ClosesThatConnectionOnly(string what, byte[] bytes, FastCgiErrorKind kind)
    {
        await using var server = ServerHarness.Start(Hello);
        await using var bad = await server.ConnectRawAsync();
        await using var good = await server.ConnectRawAsync();

        await bad.SendAsync(bytes);

        (await bad.IsClosedAsync()).Should().BeTrue(what);
        server.Errors.Should().ContainSingle()
            .Which.Exception.Should().BeOfType<FastCgiProtocolException>().Which.Kind.Should().Be(kind);
        await good.SendAsync(Concat(BeginResponderKeepConn, EmptyParamsAndStdin(1)));
        (await good.ReadUntilAsync(FastCgiRecordType.EndRequest, 1)).Should().HaveCount(3);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task OversizedParams_AreRefusedFromTheRecordHeader_BeforeTheContentArrives()
    {
        await using var server = ServerHarness.Start(Hello, new FastCgiServerOptions { Limits = FastCgiLimits.Default with { MaxParamsBytes = 1000 } });
        await using var web = await server.ConnectRawAsync();

        // Only the header of a 60000-byte PARAMS record is sent.
        await web.SendAsync(Concat(BeginResponderKeepConn, Hex("01 04 00 01 ea 60 00 00")));

        (await web.IsClosedAsync()).Should().BeTrue();
        server.Errors.Should().ContainSingle().Which.Exception.Should().BeOfType<FastCgiProtocolException>()
            .Which.Kind.Should().Be(FastCgiErrorKind.ParamsTooLarge);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ParamsOverTheLimitAcrossRecords_AreRefused()
    {
        await using var server = ServerHarness.Start(Hello, new FastCgiServerOptions { Limits = FastCgiLimits.Default with { MaxParamsBytes = 1000 } });
        await using var web = await server.ConnectRawAsync();
        var pair = Concat(Hex("01 7f 41"), new byte[127]);

        await web.SendAsync(Concat(BeginResponderKeepConn, Records.Encode(w =>
        {
            for (var i = 0; i < 8; i++)
            {
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Params, 1, pair);
            }
        })));

        (await web.IsClosedAsync()).Should().BeTrue();
        server.Errors.Should().ContainSingle().Which.Exception.Should().BeOfType<FastCgiProtocolException>()
            .Which.Kind.Should().Be(FastCgiErrorKind.ParamsTooLarge);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task WebServerClosingMidRequest_AbortsTheHandler()
    {
        var entered = new TaskCompletionSource();
        var aborted = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            entered.SetResult();
            try
            {
                await TestHandlers.CountAsync(request.Stdin).WaitAsync(request.Aborted);
            }
            catch (Exception e) when (e is OperationCanceledException or FastCgiConnectionClosedException)
            {
                aborted.TrySetResult();
            }

            return 0;
        });
        var web = await server.ConnectRawAsync();

        await web.SendAsync(Concat(BeginResponderKeepConn, Records.Raw((byte)FastCgiRecordType.Params, 1, []), Records.Raw((byte)FastCgiRecordType.Stdin, 1, Ascii("part"))));
        await entered.Task.WaitAsync(TestTimeouts.Operation);
        await web.DisposeAsync();

        await aborted.Task.WaitAsync(TestTimeouts.Operation);
    }
}
