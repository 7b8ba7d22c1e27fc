using System.Net;
using System.Net.Sockets;

namespace Hello;

/// <summary>Finds the socket to serve: the inherited one on fd 0, or one bound from <c>--listen</c>.</summary>
internal static class ListenSocket
{
    /// <summary>The listening socket, or null when there is none and no usable <c>--listen</c> (said on <paramref name="errors"/>).</summary>
    public static Socket? Open(string[] args, TextWriter errors)
    {
        var index = Array.IndexOf(args, "--listen");
        if (index < 0)
        {
            return args.Length == 0 ? FromStandardInput() : null;
        }

        if (index + 1 >= args.Length)
        {
            return null;
        }

        try
        {
            return Bind(args[index + 1]);
        }
        catch (Exception e) when (e is FormatException or SocketException or IOException)
        {
            errors.WriteLine($"hello: cannot listen on {args[index + 1]}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// FCGI_LISTENSOCK_FILENO: a process manager passes the listening socket as fd 0. Wrapping the descriptor
    /// queries it (getsockname, getsockopt), which fails when fd 0 is a terminal, file or pipe. The handle is not
    /// owned: the descriptor belongs to the process, and closing it would not stop siblings sharing it.
    /// </summary>
    private static Socket? FromStandardInput()
    {
        try
        {
            var socket = new Socket(new SafeSocketHandle(0, ownsHandle: false));
            if (socket.LocalEndPoint is not null && (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0)
            {
                return socket;
            }

            socket.Dispose();
        }
        catch (SocketException)
        {
            // Not a socket.
        }

        return null;
    }

    /// <summary>Binds <c>/path/to.sock</c> (a Unix socket, replacing a stale file) or <c>host:port</c>.</summary>
    private static Socket Bind(string address)
    {
        Socket socket;
        EndPoint endPoint;
        if (address.StartsWith('/') || address.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = address.StartsWith("unix:", StringComparison.Ordinal) ? address["unix:".Length..] : address;
            File.Delete(path);
            endPoint = new UnixDomainSocketEndPoint(path);
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            endPoint = IPEndPoint.Parse(address);
            socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }

        socket.Bind(endPoint);
        socket.Listen(512);
        return socket;
    }
}
