using System.Net;
using System.Net.Sockets;
using Pm.Config;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// The dispatcher's listening socket (PmFastCgiListen) in a web process. The PM opens it, as it opens the HTTP one,
/// and hands it to every web process on <see cref="Descriptor"/>, so it outlives them all: a web server's connections
/// wait in its backlog while a web process is replaced, and nobody sees a refused connect.
/// </summary>
public static class DispatchListener
{
    /// <summary>
    /// The descriptor it is on in a web process: 0 is the HTTP socket, 1 and 2 the log pipe, 3 libpm-shim.so's page.
    /// </summary>
    public const int Descriptor = 4;

    /// <summary>The socket the PM passed on <see cref="Descriptor"/>, or null when that is no listening socket.</summary>
    public static Socket? Inherited()
    {
        try
        {
            using (var probe = new Socket(new SafeSocketHandle(Descriptor, ownsHandle: false)))
            {
                if ((int)probe.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! == 0)
                {
                    return null;
                }
            }

            return new Socket(new SafeSocketHandle(Descriptor, ownsHandle: true));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// Binds <paramref name="address"/> itself, for a web process started by hand (`pm web --listen`): there is no PM
    /// to own the socket then. An existing Unix socket file is an error, not replaced: a PM may be serving on it.
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
