using System.Net;
using System.Net.Sockets;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// A stopping PM refuses new HTTP connections as soon as its web processes are gone, while its apps are still being
/// stopped: a load balancer in front moves on at once instead of leaving a connection in a backlog nobody accepts from.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class ShutdownListenerTests
{
    [Fact(Timeout = 60_000)]
    public async Task AfterSigterm_OnceTheWebProcessIsGone_NewConnectionsAreRefused_WhileAnAppIsStillStopping()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("stubborn", Paths.TestApp);
        // The app ignores SIGTERM, so the PM waits its grace out (PmShutdownTimeout) before SIGKILL: the window looked at.
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            PmShutdownTimeout 10
            FastCgiServer {app} -arg ignore-term -arg {dir.Path} -processes 1 -url /t
            """);
        await server.Pm.WaitForLineAsync(l => l.Contains("]: grandchild ", StringComparison.Ordinal), FrontEndServer.Wait);
        using (var before = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            before.Connect(new IPEndPoint(IPAddress.Loopback, server.Port)); // the listener accepts before the stop
        }

        ChildProcess.SignalProcess(server.Pm.Pid, Signals.SIGTERM);
        await server.Pm.WaitForLineAsync(l => l.Contains("the PM let go of its copy of the front end's listening sockets", StringComparison.Ordinal), FrontEndServer.Wait);
        await server.Pm.WaitForLineAsync(l => l.Contains("app web: pid ", StringComparison.Ordinal) && l.Contains(" exited: ", StringComparison.Ordinal), FrontEndServer.Wait);
        server.Pm.HasExited.Should().BeFalse("the app that ignores SIGTERM still holds the PM in its shutdown");

        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connect = () => probe.Connect(new IPEndPoint(IPAddress.Loopback, server.Port));
        connect.Should().Throw<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused,
            "nothing holds the listening socket any more, not even the PM");
        server.Pm.HasExited.Should().BeFalse("the refusal came while the PM was still stopping its app");

        await server.Pm.WaitForExitAsync(FrontEndServer.Wait);
    }
}
