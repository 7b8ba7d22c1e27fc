using System.Net.Sockets;
using CsCheck;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>
/// Hostile bytes sent to a live server and a live client: each connection ends (no hang), and the only
/// failures are the typed ones, reported for that connection alone.
/// </summary>
public class ConnectionFuzzTests
{
    [Fact(Timeout = 4 * TestTimeouts.TestMilliseconds)]
    public async Task Server_GivenHostileBytes_ClosesTheConnectionAndReportsOnlyProtocolErrors()
    {
        await using var server = ServerHarness.Start(TestHandlers.EchoAsync, new FastCgiServerOptions
        {
            Limits = FastCgiLimits.Default with { MaxParamsBytes = 4096, MaxValueLength = 150 },
            Roles = new HashSet<FastCgiRole> { FastCgiRole.Responder, FastCgiRole.Authorizer, FastCgiRole.Filter },
        });

        await FuzzInput.AnyStream.SampleAsync(
            async bytes =>
            {
                await using var web = await server.ConnectRawAsync();
                await web.SendAsync(bytes);
                web.Socket.Shutdown(SocketShutdown.Send);

                // Whatever it answered, the server must end the connection once the web server's side has ended.
                (await web.IsClosedAsync()).Should().BeTrue();
            },
            iter: 1000,
            threads: 1);

        await server.DisposeAsync();
        server.Errors.Should().OnlyContain(e => e.Source == FastCgiServerErrorSource.Connection && e.Exception is FastCgiProtocolException);
        server.Server.ActiveRequestCount.Should().Be(0);
        server.Server.ActiveConnectionCount.Should().Be(0);
    }

    [Fact(Timeout = 4 * TestTimeouts.TestMilliseconds)]
    public async Task Client_GivenHostileResponses_EndsTheRequestWithAResultOrATypedError()
    {
        await FuzzInput.Damaged(FuzzInput.Response).SampleAsync(
            async bytes =>
            {
                var (app, client) = await RawPeer.WithClientAsync();
                await using var __ = client;
                await using var request = await client.BeginRequestAsync(TestHandlers.Params(("A", "b")));
                var reading = Streams.ReadAllAsync(request.Output);
                await app.ReadUntilAsync(FastCgiRecordType.Stdin, 1);
                await app.SendAsync(bytes);
                await app.DisposeAsync();

                // A result or a typed error; anything else (a timeout included) escapes and fails the property.
                try
                {
                    await request.Completion.WaitAsync(TestTimeouts.Operation);
                }
                catch (FastCgiException)
                {
                }

                try
                {
                    await reading;
                }
                catch (FastCgiException)
                {
                }

                await client.Closed.WaitAsync(TestTimeouts.Operation);
            },
            iter: 1000,
            threads: 1);
    }
}
