using System.Text;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>Several requests at once: multiplexed on one connection, and refused when the server cannot take them.</summary>
public class ClientServerMultiplexTests
{
    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ManyRequestsOnOneConnection_RunTogether_AndEachGetsItsOwnAnswer()
    {
        const int count = 8;
        var inHandler = 0;
        var allIn = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            // Every handler waits until all are in: this only finishes if the requests really run at once.
            if (Interlocked.Increment(ref inHandler) == count)
            {
                allIn.SetResult();
            }

            await allIn.Task;
            var n = request.Params.GetValue("N")!;
            foreach (var part in new[] { "<", n, ">" })
            {
                // Separate flushes: the records of the requests interleave on the connection.
                await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes(part));
            }

            return int.Parse(n);
        });
        await using var connection = await server.ConnectAsync(new FastCgiClientOptions { MaxConcurrentRequests = count });

        var requests = new List<FastCgiClientRequest>();
        for (var i = 0; i < count; i++)
        {
            requests.Add(await connection.BeginRequestAsync(TestHandlers.Params(("N", i.ToString()))));
        }

        var outputs = await Task.WhenAll(requests.Select(r => Streams.ReadAllTextAsync(r.Output)));
        var results = await Task.WhenAll(requests.Select(r => r.Completion));

        outputs.Should().Equal(Enumerable.Range(0, count).Select(i => $"<{i}>"));
        results.Select(r => r.AppStatus).Should().Equal(Enumerable.Range(0, count));
        requests.Select(r => r.RequestId).Should().OnlyHaveUniqueItems();
        foreach (var request in requests)
        {
            await request.DisposeAsync();
        }
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task SecondRequestToAServerThatDoesNotMultiplex_IsRefusedCantMpxConn()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(
            async request =>
            {
                entered.TrySetResult();
                await release.Task;
                return 0;
            },
            new FastCgiServerOptions { MultiplexConnections = false });
        await using var connection = await server.ConnectAsync(new FastCgiClientOptions { MaxConcurrentRequests = 2 });

        await using var first = await connection.BeginRequestAsync(TestHandlers.Params());
        await entered.Task.WaitAsync(TestTimeouts.Operation);
        await using var second = await connection.BeginRequestAsync(TestHandlers.Params());

        (await second.Completion.WaitAsync(TestTimeouts.Operation)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.CantMultiplexConnection);
        release.SetResult();
        (await first.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task RequestBeyondMaxRequests_IsRefusedOverloaded_UntilOneFinishes()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(
            async request =>
            {
                if (request.Params.ContainsName("HOLD"))
                {
                    entered.TrySetResult();
                    await release.Task;
                }

                return 0;
            },
            new FastCgiServerOptions { MaxRequests = 1 });
        await using var one = await server.ConnectAsync();
        await using var two = await server.ConnectAsync();

        await using var holding = await one.BeginRequestAsync(TestHandlers.Params(("HOLD", "1")));
        await entered.Task.WaitAsync(TestTimeouts.Operation);
        await using (var refused = await two.BeginRequestAsync(TestHandlers.Params()))
        {
            (await refused.Completion.WaitAsync(TestTimeouts.Operation)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.Overloaded);
        }

        release.SetResult();
        await holding.Completion.WaitAsync(TestTimeouts.Operation);
        await using var accepted = await two.BeginRequestAsync(TestHandlers.Params());
        (await accepted.Completion.WaitAsync(TestTimeouts.Operation)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.RequestComplete);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task RequestBeyondMaxRequestsPerConnection_IsRefusedOverloaded()
    {
        var release = new TaskCompletionSource();
        var entered = 0;
        var bothIn = new TaskCompletionSource();
        await using var server = ServerHarness.Start(
            async request =>
            {
                if (Interlocked.Increment(ref entered) == 2)
                {
                    bothIn.SetResult();
                }

                await release.Task;
                return 0;
            },
            new FastCgiServerOptions { MaxRequestsPerConnection = 2 });
        await using var connection = await server.ConnectAsync(new FastCgiClientOptions { MaxConcurrentRequests = 3 });

        await using var first = await connection.BeginRequestAsync(TestHandlers.Params());
        await using var second = await connection.BeginRequestAsync(TestHandlers.Params());
        await bothIn.Task.WaitAsync(TestTimeouts.Operation);
        await using var third = await connection.BeginRequestAsync(TestHandlers.Params());

        (await third.Completion.WaitAsync(TestTimeouts.Operation)).ProtocolStatus.Should().Be(FastCgiProtocolStatus.Overloaded);
        release.SetResult();
        (await first.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
        (await second.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ClientWithEveryRequestIdTaken_RefusesToBeginAnother()
    {
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async _ =>
        {
            await release.Task;
            return 0;
        });
        await using var connection = await server.ConnectAsync();
        await using var first = await connection.BeginRequestAsync(TestHandlers.Params());

        connection.CanBeginRequest.Should().BeFalse();
        var second = async () => await connection.BeginRequestAsync(TestHandlers.Params());

        await second.Should().ThrowAsync<InvalidOperationException>();
        release.SetResult();
        await first.Completion.WaitAsync(TestTimeouts.Operation);
    }
}
