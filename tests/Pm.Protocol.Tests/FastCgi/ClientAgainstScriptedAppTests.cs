using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>
/// The client against an application scripted in raw records: what it puts on the wire, and how each kind of
/// failure of the application reaches the caller.
/// </summary>
public class ClientAgainstScriptedAppTests
{
    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Request_PutsBeginParamsAndStdinOnTheWire()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;
        var body = new Pipe();
        await body.Writer.WriteAsync(Ascii("hello"));
        await body.Writer.CompleteAsync();

        await using var request = await client.BeginRequestAsync(TestHandlers.Params(("A", "b")), body.Reader);
        var records = await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);
        records.AddRange(await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1));

        records.Select(r => (r.Type, r.RequestId, Convert.ToHexString(r.Content))).Should().Equal(
            (FastCgiRecordType.BeginRequest, 1, "0001010000000000"),
            (FastCgiRecordType.Params, 1, "01014162"),
            (FastCgiRecordType.Params, 1, string.Empty),
            (FastCgiRecordType.Stdin, 1, "68656C6C6F"),
            (FastCgiRecordType.Stdin, 1, string.Empty));
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Response_StdoutAndEnd_AreDelivered_ThenTheIdIsReused()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;

        for (var round = 0; round < 2; round++)
        {
            await using var request = await client.BeginRequestAsync(TestHandlers.Params());
            await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);
            request.ResponseStarted.Should().BeFalse();
            await app.SendAsync(w =>
            {
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, Ascii("Status: 200\r\n\r\nok"));
                FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stdout, 1);
                FastCgiRecordWriter.WriteEndRequest(w, 1, 3, FastCgiProtocolStatus.RequestComplete);
            });

            (await Streams.ReadAllTextAsync(request.Output)).Should().Be("Status: 200\r\n\r\nok");
            (await request.Completion).Should().Be(new FastCgiRequestResult(3, FastCgiProtocolStatus.RequestComplete));
            request.ResponseStarted.Should().BeTrue();
            request.RequestId.Should().Be(1);
        }
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Cancel_SendsAbortRequest_AndWaitsForTheApplicationsEndRequest()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;
        using var cancel = new CancellationTokenSource();
        await using var request = await client.BeginRequestAsync(TestHandlers.Params(), cancellationToken: cancel.Token);
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        cancel.Cancel();

        (await app.ReadRecordAsync()).Header.Should().Be(new FastCgiRecordHeader(FastCgiRecordType.AbortRequest, 1, 0, 0));
        client.CanBeginRequest.Should().BeFalse("the id stays taken until the application answers the abort");
        await app.SendAsync(w => FastCgiRecordWriter.WriteEndRequest(w, 1, 0, FastCgiProtocolStatus.RequestComplete));
        await request.Released.WaitAsync(TestTimeouts.Operation);
        client.CanBeginRequest.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task AppClosingBeforeAnyOutput_FailsTheRequestAsRetryable()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var __ = client;
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        await app.DisposeAsync();

        var reading = async () => await Streams.ReadAllAsync(request.Output);
        (await reading.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which.ResponseStarted.Should().BeFalse();
        var completion = async () => await request.Completion;
        (await completion.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which.ResponseStarted.Should().BeFalse();
        request.ResponseStarted.Should().BeFalse();
        await client.Closed.WaitAsync(TestTimeouts.Operation);
        client.IsConnected.Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task AppClosingAfterSomeOutput_FailsTheRequestAsStarted()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var __ = client;
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        await app.SendAsync(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, Ascii("Status: 200\r\n")));
        var first = await request.Output.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        request.Output.AdvanceTo(first.Buffer.End);
        await app.DisposeAsync();

        var reading = async () => await Streams.ReadAllAsync(request.Output);
        (await reading.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which.ResponseStarted.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task AppClosingInTheMiddleOfARecord_FailsTheRequest()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var __ = client;
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        await app.SendAsync(Hex("01 06 00 01 00 10 00 00 | 41 42"));
        await app.DisposeAsync();

        var completion = async () => await request.Completion;
        var failure = (await completion.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which;
        failure.InnerException.Should().BeOfType<FastCgiProtocolException>().Which.Kind.Should().Be(FastCgiErrorKind.TruncatedRecord);
    }

    public static TheoryData<string, string, FastCgiErrorKind> Violations => new()
    {
        { "bad version", "02 06 00 01 00 00 00 00", FastCgiErrorKind.UnsupportedVersion },
        { "END_REQUEST for an id never begun", "01 03 00 07 00 08 00 00 | 00 00 00 00 00 00 00 00", FastCgiErrorKind.UnknownRequestId },
        { "STDOUT for an id never begun", "01 06 00 02 00 00 00 00", FastCgiErrorKind.UnknownRequestId },
        { "STDIN sent to a web server", "01 05 00 01 00 00 00 00", FastCgiErrorKind.UnexpectedRecordType },
        { "BEGIN_REQUEST sent to a web server", "01 01 00 01 00 08 00 00 | 00 01 00 00 00 00 00 00", FastCgiErrorKind.UnexpectedRecordType },
        { "STDOUT after the end of STDOUT", "01 06 00 01 00 00 00 00 | 01 06 00 01 00 01 07 00 | 41 00 00 00 00 00 00 00", FastCgiErrorKind.UnexpectedRecordOrder },
        { "GET_VALUES_RESULT nobody asked for", "01 0a 00 00 00 00 00 00", FastCgiErrorKind.UnexpectedManagementRecord },
        { "END_REQUEST body of 4 bytes", "01 03 00 01 00 04 04 00 | 00 00 00 00 00 00 00 00", FastCgiErrorKind.InvalidContentLength },
    };

    [Theory(Timeout = TestTimeouts.TestMilliseconds)]
    [MemberData(nameof(Violations))]
    public async Task ProtocolViolation_FailsTheRequestsOfThatConnectionOnly(string what, string bytes, FastCgiErrorKind kind)
    {
        var (badApp, badClient) = await RawPeer.WithClientAsync();
        var (goodApp, goodClient) = await RawPeer.WithClientAsync();
        await using var _ = badApp;
        await using var __ = badClient;
        await using var ___ = goodApp;
        await using var ____ = goodClient;
        await using var victim = await badClient.BeginRequestAsync(TestHandlers.Params());
        await using var bystander = await goodClient.BeginRequestAsync(TestHandlers.Params());
        await badApp.ReadUntilAsync(FastCgiRecordType.Stdin, 1);
        await goodApp.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        await badApp.SendAsync(Hex(bytes));

        var completion = async () => await victim.Completion;
        (await completion.Should().ThrowAsync<FastCgiProtocolException>(what)).Which.Kind.Should().Be(kind);
        (await badApp.IsClosedAsync()).Should().BeTrue("the client closes a connection that broke the protocol");
        goodClient.IsConnected.Should().BeTrue();
        await goodApp.SendAsync(w => FastCgiRecordWriter.WriteEndRequest(w, 1, 0, FastCgiProtocolStatus.RequestComplete));
        (await bystander.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GetValues_SendsTheQuery_AndReturnsTheAnswer()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;

        var values = client.GetValuesAsync();
        var query = await app.ReadRecordAsync();
        await app.SendAsync(w => FastCgiRecordWriter.WriteManagementPairs(w, FastCgiRecordType.GetValuesResult, TestHandlers.Params(("FCGI_MPXS_CONNS", "1"))));

        query.Type.Should().Be(FastCgiRecordType.GetValues);
        FastCgiParams.Parse(query.Content).Select(p => p.Key).Should().Equal("FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS");
        (await values.WaitAsync(TestTimeouts.Operation)).GetValue("FCGI_MPXS_CONNS").Should().Be("1");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GetValues_AnsweredUnknownType_GivesNothing()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;

        var values = client.GetValuesAsync();
        await app.ReadRecordAsync();
        await app.SendAsync(w => FastCgiRecordWriter.WriteUnknownType(w, (byte)FastCgiRecordType.GetValues));

        (await values.WaitAsync(TestTimeouts.Operation)).Should().BeEmpty();
        client.IsConnected.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Stderr_IsDeliveredPerRecord()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var _ = app;
        await using var __ = client;
        var pieces = new List<string>();
        await using var request = await client.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = TestHandlers.Params(),
            StandardError = content => pieces.Add(Encoding.ASCII.GetString(content)),
        });
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        await app.SendAsync(w =>
        {
            FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stderr, 1, Ascii("PHP Warning"));
            FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stderr, 1, Ascii(": x"));
            FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stderr, 1);
            FastCgiRecordWriter.WriteEndRequest(w, 1, 255, FastCgiProtocolStatus.RequestComplete);
        });

        (await request.Completion.WaitAsync(TestTimeouts.Operation)).AppStatus.Should().Be(255);
        pieces.Should().Equal("PHP Warning", ": x");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ConnectingWhereNothingListens_ThrowsConnectException()
    {
        using var directory = new TempDirectory();

        var missingSocket = async () => await FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(directory.File("none.sock")));
        using var closedPort = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closedPort.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var refused = async () => await FastCgiClientConnection.ConnectAsync(closedPort.LocalEndPoint!);

        await missingSocket.Should().ThrowAsync<FastCgiConnectException>();
        await refused.Should().ThrowAsync<FastCgiConnectException>();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task BeginningOnAClosedConnection_ThrowsClosedNotStarted()
    {
        var (app, client) = await RawPeer.WithClientAsync();
        await using var __ = client;
        await app.DisposeAsync();
        await client.Closed.WaitAsync(TestTimeouts.Operation);

        var begin = async () => await client.BeginRequestAsync(TestHandlers.Params());

        (await begin.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which.ResponseStarted.Should().BeFalse();
    }
}
