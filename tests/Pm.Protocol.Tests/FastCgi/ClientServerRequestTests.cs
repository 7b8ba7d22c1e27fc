using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>The client against the server over a Unix socket: one request at a time.</summary>
public class ClientServerRequestTests
{
    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Request_ParamsAndBody_ReachTheHandlerAndTheAnswerComesBack()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync);
        await using var connection = await server.ConnectAsync();
        var body = new Pipe();
        await body.Writer.WriteAsync(Encoding.ASCII.GetBytes("0123456789"));
        await body.Writer.CompleteAsync();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("SCRIPT_NAME", "/x"), ("QUERY_STRING", "a=1")), body.Reader);
        var output = await Streams.ReadAllTextAsync(request.Output);
        var result = await request.Completion;

        output.Should().Be("SCRIPT_NAME=/x\nQUERY_STRING=a=1\nstdin=10\n");
        result.Should().Be(new FastCgiRequestResult(0, FastCgiProtocolStatus.RequestComplete));
        request.ResponseStarted.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task KeepConn_ConnectionServesManyRequestsInTurn()
    {
        var seen = new List<int>();
        await using var server = ServerHarness.Start(async request =>
        {
            lock (seen)
            {
                seen.Add(request.RequestId);
            }

            await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes(request.Params.GetValue("N")!));
            return int.Parse(request.Params.GetValue("N")!);
        });
        await using var connection = await server.ConnectAsync();

        for (var i = 1; i <= 5; i++)
        {
            await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("N", i.ToString())));
            (await Streams.ReadAllTextAsync(request.Output)).Should().Be(i.ToString());
            (await request.Completion).AppStatus.Should().Be(i);
        }

        connection.IsConnected.Should().BeTrue();
        connection.CanBeginRequest.Should().BeTrue();
        seen.Should().Equal(1, 1, 1, 1, 1);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task WithoutKeepConn_TheServerClosesAfterTheRequest()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync);
        await using var connection = await server.ConnectAsync(new FastCgiClientOptions { KeepConnection = false });

        await using (var request = await connection.BeginRequestAsync(TestHandlers.Params(("A", "b"))))
        {
            (await Streams.ReadAllTextAsync(request.Output)).Should().Contain("A=b");
            (await request.Completion).IsComplete.Should().BeTrue();
        }

        connection.CanBeginRequest.Should().BeFalse();
        await connection.Closed.WaitAsync(TestTimeouts.Operation);
        connection.IsConnected.Should().BeFalse();
        server.Errors.Should().BeEmpty();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task LargeBodiesBothWays_ArriveIntact()
    {
        const int size = 10 * 1024 * 1024;
        var upload = Streams.Pattern(size, seed: 1);
        var download = Streams.Pattern(size, seed: 2);
        string? receivedHash = null;
        await using var server = ServerHarness.Start(async request =>
        {
            receivedHash = (await Streams.DigestAsync(request.Stdin)).Sha256;
            for (var offset = 0; offset < download.Length; offset += 100_000)
            {
                var flush = await request.Stdout.WriteAsync(download.AsMemory(offset, Math.Min(100_000, download.Length - offset)));
                if (flush.IsCompleted)
                {
                    return 1;
                }
            }

            return 0;
        });
        await using var connection = await server.ConnectAsync();
        var body = new Pipe();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("REQUEST_METHOD", "POST")), body.Reader);
        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < upload.Length; offset += 70_000)
            {
                await body.Writer.WriteAsync(upload.AsMemory(offset, Math.Min(70_000, upload.Length - offset)));
            }

            await body.Writer.CompleteAsync();
        });
        var (length, hash) = await Streams.DigestAsync(request.Output);
        await writing.WaitAsync(TestTimeouts.Operation);

        length.Should().Be(size);
        hash.Should().Be(Streams.Sha256(download));
        receivedHash.Should().Be(Streams.Sha256(upload));
        (await request.Completion).AppStatus.Should().Be(0);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task LargeResponse_NotRead_HoldsTheHandlerBackInsteadOfBuffering()
    {
        const int size = 10 * 1024 * 1024;
        var chunk = new byte[64 * 1024];
        long written = 0;
        var started = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            while (written < size)
            {
                await request.Stdout.WriteAsync(chunk);
                if (Interlocked.Add(ref written, chunk.Length) >= 128 * 1024)
                {
                    started.TrySetResult();
                }
            }

            return 0;
        });
        await using var connection = await server.ConnectAsync();
        await using var request = await connection.BeginRequestAsync(TestHandlers.Params());

        await started.Task.WaitAsync(TestTimeouts.Operation);

        // Nobody reads: the bytes in flight are bounded by the pipes and socket buffers, far below 10 MB.
        // (A short pause can only make a wrong implementation look right, never a right one fail.)
        await Task.Delay(300);
        Interlocked.Read(ref written).Should().BeLessThan(size / 2);
        (await Streams.DigestAsync(request.Output)).Length.Should().Be(size);
        (await request.Completion).IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task LargeBody_NotRead_IsNotConsumedFasterThanTheApplicationReads()
    {
        var readFirst = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            var result = await request.Stdin.ReadAsync();
            request.Stdin.AdvanceTo(result.Buffer.Start);
            readFirst.TrySetResult();
            await release.Task;
            return (int)(await TestHandlers.CountAsync(request.Stdin) / 1024);
        });
        await using var connection = await server.ConnectAsync();
        var body = new Pipe();
        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(), body.Reader);
        long offered = 0;
        var writing = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 160; i++)
            {
                await body.Writer.WriteAsync(chunk);
                Interlocked.Add(ref offered, chunk.Length);
            }

            await body.Writer.CompleteAsync();
        });

        await readFirst.Task.WaitAsync(TestTimeouts.Operation);
        await Task.Delay(300);
        writing.IsCompleted.Should().BeFalse("a 10 MB body cannot be taken while the application reads nothing");
        release.SetResult();

        await writing.WaitAsync(TestTimeouts.Operation);
        (await Streams.ReadAllAsync(request.Output)).Should().BeEmpty();
        (await request.Completion).AppStatus.Should().Be(10 * 1024);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task Stderr_ReachesTheCallbackAsItArrives_AndStaysOutOfStdout()
    {
        var stderrSeen = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            await request.Stderr.WriteAsync(Encoding.ASCII.GetBytes("warning: one"));
            await stderrSeen.Task;
            await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes("body"));
            await request.Stderr.WriteAsync(Encoding.ASCII.GetBytes(" two"));
            return 0;
        });
        await using var connection = await server.ConnectAsync();
        var stderr = new StringBuilder();

        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = TestHandlers.Params(),
            StandardError = content =>
            {
                lock (stderr)
                {
                    stderr.Append(Encoding.ASCII.GetString(content));
                }

                stderrSeen.TrySetResult();
            },
        });
        var output = await Streams.ReadAllTextAsync(request.Output);

        output.Should().Be("body");
        stderr.ToString().Should().Be("warning: one two");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task HandlerException_EndsTheRequestWithAppStatus1_AndTheConnectionGoesOn()
    {
        await using var server = ServerHarness.Start(request =>
            request.Params.ContainsName("FAIL") ? throw new InvalidOperationException("boom") : TestHandlers.EchoAsync(request));
        await using var connection = await server.ConnectAsync();

        await using (var failing = await connection.BeginRequestAsync(TestHandlers.Params(("FAIL", "1"))))
        {
            (await Streams.ReadAllAsync(failing.Output)).Should().BeEmpty();
            (await failing.Completion).Should().Be(new FastCgiRequestResult(1, FastCgiProtocolStatus.RequestComplete));
        }

        await using var next = await connection.BeginRequestAsync(TestHandlers.Params(("OK", "1")));
        (await Streams.ReadAllTextAsync(next.Output)).Should().StartWith("OK=1");
        server.Errors.Should().ContainSingle(e => e.Source == FastCgiServerErrorSource.Handler && e.Exception.Message == "boom");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ParamsLargerThanOneRecord_ArriveWhole()
    {
        var big = new string('x', 100_000);
        await using var server = ServerHarness.Start(async request =>
        {
            await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes(request.Params.GetValue("HTTP_BIG")!.Length.ToString()));
            return 0;
        });
        await using var connection = await server.ConnectAsync();

        await using var request = await connection.BeginRequestAsync(TestHandlers.Params(("HTTP_BIG", big), ("X", "y")));

        (await Streams.ReadAllTextAsync(request.Output)).Should().Be("100000");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task AuthorizerAndFilterRoles_ReachAHandlerThatPlaysThem()
    {
        var options = new FastCgiServerOptions { Roles = new HashSet<FastCgiRole> { FastCgiRole.Authorizer, FastCgiRole.Filter } };
        await using var server = ServerHarness.Start(
            async request =>
            {
                var stdin = await TestHandlers.CountAsync(request.Stdin);
                var data = await TestHandlers.CountAsync(request.Data);
                await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes($"{request.Role} stdin={stdin} data={data}"));
                return 0;
            },
            options);
        await using var connection = await server.ConnectAsync();
        var data = PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(new byte[100_000]));

        await using (var authorize = await connection.BeginRequestAsync(new FastCgiOutgoingRequest { Role = FastCgiRole.Authorizer, Parameters = TestHandlers.Params() }))
        {
            (await Streams.ReadAllTextAsync(authorize.Output)).Should().Be("Authorizer stdin=0 data=0");
        }

        await using var filter = await connection.BeginRequestAsync(new FastCgiOutgoingRequest { Role = FastCgiRole.Filter, Parameters = TestHandlers.Params(), Data = data });
        (await Streams.ReadAllTextAsync(filter.Output)).Should().Be("Filter stdin=0 data=100000");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task RoleTheServerDoesNotPlay_IsAnsweredUnknownRole()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync);
        await using var connection = await server.ConnectAsync();

        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest { Role = FastCgiRole.Filter, Parameters = TestHandlers.Params() });

        (await Streams.ReadAllAsync(request.Output)).Should().BeEmpty();
        (await request.Completion).ProtocolStatus.Should().Be(FastCgiProtocolStatus.UnknownRole);
        request.ResponseStarted.Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GetValues_ReportsTheServersLimits()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync, new FastCgiServerOptions { MaxConnections = 7, MaxRequests = 9, MultiplexConnections = false });
        await using var connection = await server.ConnectAsync();

        var values = await connection.GetValuesAsync().WaitAsync(TestTimeouts.Operation);
        var asked = await connection.GetValuesAsync(["FCGI_MPXS_CONNS", "NOT_A_VARIABLE"]).WaitAsync(TestTimeouts.Operation);

        values.Select(p => (p.Key, p.Value)).Should().Equal(("FCGI_MAX_CONNS", "7"), ("FCGI_MAX_REQS", "9"), ("FCGI_MPXS_CONNS", "0"));
        asked.Select(p => (p.Key, p.Value)).Should().Equal(("FCGI_MPXS_CONNS", "0"));
    }
}
