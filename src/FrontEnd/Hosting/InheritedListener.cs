using System.Net;
using System.Net.Sockets;
using Pm.Config;

namespace Pm.FrontEnd.Hosting;

/// <summary>
/// A listening socket the PM opens and hands to every web process on a fixed descriptor (the dispatcher's, the
/// status listener's), so it outlives them all: connections wait in its backlog while a web process is replaced.
/// A web process started by hand (`pm web --listen`) binds the address itself instead.
/// </summary>
public static class InheritedListener
{
    /// <summary>The socket the PM passed on <paramref name="descriptor"/>, or null when that is no listening socket.</summary>
    public static Socket? Inherited(int descriptor) =>
        IsListening(descriptor) ? new Socket(new SafeSocketHandle(descriptor, ownsHandle: true)) : null;

    /// <summary>Whether <paramref name="descriptor"/> is a listening socket; it is left open either way.</summary>
    public static bool IsListening(int descriptor)
    {
        try
        {
            using var probe = new Socket(new SafeSocketHandle(descriptor, ownsHandle: false));
            return (int)probe.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Binds <paramref name="address"/> itself, for a web process started by hand: there is no PM to own the socket
    /// then. An existing Unix socket file is an error, not replaced: a PM may be serving on it.
    /// </summary>
    public static Socket Open(AppAddress address)
    {
        EndPoint endPoint = address.SocketPath is { } path
            ? new UnixDomainSocketEndPoint(path)
            : new IPEndPoint(IPAddress.Parse(address.Host!), address.Port);
        var socket = address.SocketPath is null
            ? new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (address.SocketPath is null)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            socket.Bind(endPoint);
            socket.Listen(511);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
