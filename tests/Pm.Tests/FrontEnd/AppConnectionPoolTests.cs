using System.Buffers;
using System.Text;
using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using Pm.Protocol.FastCgi;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>The connection reuse rule, against in-process apps that do and do not multiplex.</summary>
public sealed class AppConnectionPoolTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static AppBackend Backend(ScriptedApp app, WebLog log) =>
        new("/srv/app", AppAddress.Unix(app.SocketPath), new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(2), false, [], false),
            "/app", null, app.Directory, TimeProvider.System, log);

    private static async Task<string> RequestAsync(AppConnectionPool pool)
    {
        var connection = await pool.RentAsync(CancellationToken.None);
        FastCgiClientRequest? request = null;
        try
        {
            request = await connection.Client.BeginRequestAsync([new("REQUEST_METHOD", "GET")]);
            var output = new MemoryStream();
            await request.Output.CopyToAsync(output);
            await request.Completion;
            return Encoding.ASCII.GetString(output.ToArray());
        }
        finally
        {
            if (request is not null)
            {
                await request.DisposeAsync();
            }

            pool.Return(connection, request);
        }
    }

    private static FastCgiRequestHandler Answer(Task? gate = null) => async request =>
    {
        if (gate is not null)
        {
            await gate;
        }

        request.Stdout.Write("Content-Type: text/plain\r\n\r\nok"u8);
        return 0;
    };

    [Fact(Timeout = 30_000)]
    public async Task MultiplexingApp_SharesABoundedSetOfKeptConnections()
    {
        var gate = new TaskCompletionSource();
        await using var app = new ScriptedApp(Answer(gate.Task), multiplex: true);
        await using var log = new WebLog(Stream.Null);
        await using var backend = Backend(app, log);
        gate.SetResult();
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");
        await backend.Pool.Probe.WaitAsync(Wait);
        backend.Pool.Reuse.Should().Be(ConnectionReuse.Multiplexed);

        var before = app.Connections;
        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => RequestAsync(backend.Pool))).WaitAsync(Wait);
        answers.Should().AllSatisfy(a => a.Should().EndWith("ok"));
        (app.Connections - before).Should().BeInRange(1, AppConnectionPool.MaxSharedConnections);
        backend.Pool.SharedConnectionCount.Should().BeInRange(1, AppConnectionPool.MaxSharedConnections);
    }

    [Fact(Timeout = 30_000)]
    public async Task KeptConnectionsLeftIdle_AreClosed_SoThePmSeesTheInstancesIdle()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new ScriptedApp(Answer(), multiplex: true);
        await using var log = new WebLog(Stream.Null);
        await using var backend = new AppBackend("/srv/app", AppAddress.Unix(app.SocketPath),
            new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(2), false, [], false), "/app", null, app.Directory, clock, log);
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");
        await backend.Pool.Probe.WaitAsync(Wait);
        backend.Pool.Reuse.Should().Be(ConnectionReuse.Multiplexed);
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");
        backend.Pool.SharedConnectionCount.Should().Be(1);

        clock.Advance(AppConnectionPool.KeptIdleClose / 2);
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");   // used again: its idle time starts over
        clock.Advance(AppConnectionPool.KeptIdleClose / 2);
        backend.Pool.SharedConnectionCount.Should().Be(1);

        clock.Advance(AppConnectionPool.KeptIdleClose);
        clock.Advance(AppConnectionPool.KeptIdleClose);
        backend.Pool.SharedConnectionCount.Should().Be(0);
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");   // and a later request opens a new one
        backend.Pool.SharedConnectionCount.Should().Be(1);
    }

    [Fact(Timeout = 30_000)]
    public async Task AppThatDoesNotMultiplex_GetsOneConnectionPerRequest()
    {
        await using var app = new ScriptedApp(Answer(), multiplex: false);
        await using var log = new WebLog(Stream.Null);
        await using var backend = Backend(app, log);
        (await RequestAsync(backend.Pool)).Should().EndWith("ok");
        await backend.Pool.Probe.WaitAsync(Wait);
        backend.Pool.Reuse.Should().Be(ConnectionReuse.OnePerRequest);

        var before = app.Connections;
        for (var i = 0; i < 5; i++)
        {
            (await RequestAsync(backend.Pool)).Should().EndWith("ok");
        }

        (app.Connections - before).Should().Be(5);
        backend.Pool.SharedConnectionCount.Should().Be(0);
    }

    [Fact(Timeout = 30_000)]
    public async Task AppNotAnsweringGetValues_IsTakenNotToMultiplex()
    {
        // Every connection is read and dropped: the question is never answered.
        await using var app = new ScriptedApp(Answer(), multiplex: true, dropFirst: int.MaxValue);
        await using var log = new WebLog(Stream.Null);
        await using var backend = Backend(app, log);
        var connection = await backend.Pool.RentAsync(CancellationToken.None);
        backend.Pool.Return(connection, null);
        await backend.Pool.Probe.WaitAsync(Wait);
        backend.Pool.Reuse.Should().Be(ConnectionReuse.OnePerRequest);
    }
}
