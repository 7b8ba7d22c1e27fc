using System.Text;
using Microsoft.Extensions.Time.Testing;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>The server's stop: graceful first, forced when the shutdown timeout runs out.</summary>
public class ServerStopTests
{
    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GracefulStop_LetsTheRequestInFlightFinish_ThenReturns()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            entered.TrySetResult();
            await release.Task;
            await request.Stdout.WriteAsync(Encoding.ASCII.GetBytes("finished"));
            return 0;
        });
        await using var connection = await server.ConnectAsync();
        await using var request = await connection.BeginRequestAsync(TestHandlers.Params());
        await entered.Task.WaitAsync(TestTimeouts.Operation);

        server.BeginStop();

        server.Serving.IsCompleted.Should().BeFalse("a request is still in flight");
        server.Server.IsStopping.Should().BeTrue();
        release.SetResult();
        (await Streams.ReadAllTextAsync(request.Output)).Should().Be("finished");
        (await request.Completion).IsComplete.Should().BeTrue();
        await server.Serving.WaitAsync(TestTimeouts.Operation);
        await connection.Closed.WaitAsync(TestTimeouts.Operation);
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task GracefulStop_ClosesIdleConnections()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync);
        await using var connection = await server.ConnectAsync();
        await using (var request = await connection.BeginRequestAsync(TestHandlers.Params()))
        {
            await request.Completion.WaitAsync(TestTimeouts.Operation);
        }

        server.BeginStop();

        await server.Serving.WaitAsync(TestTimeouts.Operation);
        await connection.Closed.WaitAsync(TestTimeouts.Operation);
        connection.IsConnected.Should().BeFalse();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task DuringAStop_NewRequestsOnOpenConnectionsAreRefusedOverloaded()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var server = ServerHarness.Start(async request =>
        {
            entered.TrySetResult();
            await release.Task;
            return 0;
        });
        await using var connection = await server.ConnectAsync(new FastCgiClientOptions { MaxConcurrentRequests = 2 });
        await using var inFlight = await connection.BeginRequestAsync(TestHandlers.Params());
        await entered.Task.WaitAsync(TestTimeouts.Operation);

        server.BeginStop();
        await using var late = await connection.BeginRequestAsync(TestHandlers.Params());

        var refusal = await late.Completion.ContinueWith(t => t);
        refusal.IsCompletedSuccessfully.Should().BeTrue($"the late request is answered, not failed ({refusal.Exception?.InnerException}); server errors: {string.Join("; ", server.Errors)}");
        (await late.Completion).ProtocolStatus.Should().Be(FastCgiProtocolStatus.Overloaded);
        release.SetResult();
        var finished = await inFlight.Completion.ContinueWith(t => t).Within("the request in flight");
        finished.IsCompletedSuccessfully.Should().BeTrue($"the request in flight finishes ({finished.Exception?.InnerException}); server errors: {string.Join("; ", server.Errors)}");
        await server.Serving.Within("the server's return");
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task ShutdownTimeout_AbortsRequestsThatDoNotFinish()
    {
        var time = new FakeTimeProvider();
        var entered = new TaskCompletionSource();
        var aborted = new TaskCompletionSource();
        await using var server = ServerHarness.Start(
            async request =>
            {
                entered.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, request.Aborted);
                }
                catch (OperationCanceledException)
                {
                    aborted.SetResult();
                    throw;
                }

                return 0;
            },
            new FastCgiServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(30), TimeProvider = time });
        await using var connection = await server.ConnectAsync();
        await using var request = await connection.BeginRequestAsync(TestHandlers.Params());
        await entered.Task.Within("the handler's start");

        server.BeginStop();
        time.Advance(TimeSpan.FromSeconds(29));
        aborted.Task.IsCompleted.Should().BeFalse("the shutdown timeout has not run out yet");
        time.Advance(TimeSpan.FromSeconds(1));

        await aborted.Task.Within("the handler's abort after the shutdown timeout");
        await server.Serving.Within("the server's return after the forced stop");
        var completion = async () => await request.Completion.Within("the client's view of the forced stop");
        (await completion.Should().ThrowAsync<FastCgiConnectionClosedException>()).Which.ResponseStarted.Should().BeFalse();
    }
}
