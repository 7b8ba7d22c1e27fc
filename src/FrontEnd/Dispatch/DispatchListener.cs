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
    public static Socket? Inherited() => Hosting.InheritedListener.Inherited(Descriptor);

    /// <summary>Binds <paramref name="address"/> itself, for a web process started by hand (`pm web --listen`).</summary>
    public static Socket Open(AppAddress address) => Hosting.InheritedListener.Open(address);
}
