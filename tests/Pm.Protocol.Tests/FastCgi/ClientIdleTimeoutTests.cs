using Microsoft.Extensions.Time.Testing;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;
using static Pm.Protocol.Tests.FastCgi.Support.Bytes;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>The client's idle timeout, on a fake clock.</summary>
public class ClientIdleTimeoutTests
{
    // An odd start and a timeout that is not a round number flush out assumptions about the clock.
    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2031, 3, 9, 23, 59, 58, 917, TimeSpan.FromHours(5)));

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task SilentApplication_FailsTheRequestAfterTheIdleTimeout()
    {
        var time = NewClock();
        var (app, client) = await RawPeer.WithClientAsync(new FastCgiClientOptions { IdleTimeout = TimeSpan.FromSeconds(7.5), TimeProvider = time });
        await using var _ = app;
        await using var __ = client;
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        time.Advance(TimeSpan.FromSeconds(7.4));
        request.Completion.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(0.1));

        var completion = async () => await request.Completion.WaitAsync(TestTimeouts.Operation);
        var timeout = (await completion.Should().ThrowAsync<FastCgiIdleTimeoutException>()).Which;
        timeout.ResponseStarted.Should().BeFalse();
        timeout.Timeout.Should().Be(TimeSpan.FromSeconds(7.5));
        (await app.IsClosedAsync()).Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task BytesFromTheApplication_RestartTheCount_AndResponseStartedIsReported()
    {
        var time = NewClock();
        var (app, client) = await RawPeer.WithClientAsync(new FastCgiClientOptions { IdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = time });
        await using var _ = app;
        await using var __ = client;
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);

        time.Advance(TimeSpan.FromSeconds(9));
        await app.SendAsync(w => FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, Ascii("partial")));
        var first = await request.Output.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
        request.Output.AdvanceTo(first.Buffer.End);
        time.Advance(TimeSpan.FromSeconds(9));
        request.Completion.IsCompleted.Should().BeFalse("the output 9 s ago restarted the count");
        time.Advance(TimeSpan.FromSeconds(1));

        var completion = async () => await request.Completion.WaitAsync(TestTimeouts.Operation);
        (await completion.Should().ThrowAsync<FastCgiIdleTimeoutException>()).Which.ResponseStarted.Should().BeTrue();
    }

    [Fact(Timeout = TestTimeouts.TestMilliseconds)]
    public async Task IdleConnectionWithoutRequests_DoesNotTimeOut()
    {
        var time = NewClock();
        var (app, client) = await RawPeer.WithClientAsync(new FastCgiClientOptions { IdleTimeout = TimeSpan.FromSeconds(5), TimeProvider = time });
        await using var _ = app;
        await using var __ = client;

        time.Advance(TimeSpan.FromMinutes(10));

        client.IsConnected.Should().BeTrue();
        await using var request = await client.BeginRequestAsync(TestHandlers.Params());
        await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);
        time.Advance(TimeSpan.FromSeconds(4.9));
        client.IsConnected.Should().BeTrue("the count starts when a request begins, not when the connection went idle");
        await app.SendAsync(w => FastCgiRecordWriter.WriteEndRequest(w, 1, 0, FastCgiProtocolStatus.RequestComplete));
        (await request.Completion.WaitAsync(TestTimeouts.Operation)).IsComplete.Should().BeTrue();
    }
}
