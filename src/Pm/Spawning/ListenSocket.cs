using System.Net;
using System.Net.Sockets;
using Pm.Config;

namespace Pm.Spawning;

/// <summary>
/// An app's one listening socket, owned by the PM and shared by all the app's instances on fd 0. Because the
/// PM holds it, connections queue in the backlog while an instance is being replaced: nobody sees
/// ECONNREFUSED during a restart, and the socket outlives every instance.
/// </summary>
public sealed class ListenSocket : IDisposable
{
    private readonly Socket _socket;

    private ListenSocket(Socket socket, AppAddress address, string? boundName = null)
    {
        _socket = socket;
        Address = address;
        BoundName = boundName;
    }

    public AppAddress Address { get; }

    /// <summary>
    /// The path the socket was bound to, which the kernel keeps reporting (sock_diag) for it and for every
    /// connection accepted from it, although the file was renamed to <see cref="AppAddress.SocketPath"/>.
    /// </summary>
    public string? BoundName { get; }

    /// <summary>The descriptor the spawner dup2s onto the child's fd 0.</summary>
    public int Descriptor => (int)_socket.Handle;

    /// <summary>
    /// Binds and listens. A Unix socket file left by a PM that died is removed first, unless something still
    /// accepts on it (then another PM owns it, and that is an error naming the path). The socket file gets
    /// <paramref name="access"/>'s owner, group and mode (default 0600, the PM's user alone).
    /// </summary>
    /// <remarks>
    /// The socket is bound under a temporary name and renamed into place once it listens, so a web process that
    /// sees the file appear can connect at once: it never finds a bound socket that refuses connections. Owner,
    /// group and mode are set on the temporary name before listen(2): until then a connect(2) is refused whatever
    /// the mode bind(2) gave it (the umask's), so nobody connects under the wrong permissions, and the name that
    /// appears by the rename already has the right ones.
    /// </remarks>
    public static ListenSocket Open(AppAddress address, int backlog, SocketAccess? access = null)
    {
        access ??= SocketAccess.Private;
        if (address.SocketPath is { } path)
        {
            RemoveStale(path);
            var temporary = path + IpcLayout.TemporarySuffix;
            if (Posix.PosixFile.StatPathNoFollow(temporary) is { Kind: Posix.FileKind.Socket })
            {
                File.Delete(temporary);
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(temporary));
                if (access.UserId is not null || access.GroupId is not null)
                {
                    Posix.PosixFile.ChangeOwnerNoFollow(temporary, access.UserId, access.GroupId);
                }

                // After the chown, which as root would clear set-id bits anyway; a socket has none to keep.
                Posix.PosixFile.ChangeMode(temporary, access.Mode);
                socket.Listen(backlog);
                File.Move(temporary, path, overwrite: false);
            }
            catch
            {
                socket.Dispose();
                try
                {
                    File.Delete(temporary);
                }
                catch (IOException)
                {
                }

                throw;
            }

            return new ListenSocket(socket, address, temporary);
        }

        var ip = IPAddress.TryParse(address.Host, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(address.Host!).First();
        var tcp = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(ip, address.Port));
            tcp.Listen(backlog);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        return new ListenSocket(tcp, address);
    }

    private static void RemoveStale(string path)
    {
        if (Posix.PosixFile.StatPathNoFollow(path) is not { } status)
        {
            return;
        }

        if (status.Kind != Posix.FileKind.Socket)
        {
            throw new IOException($"{path} exists and is not a socket; refusing to replace it");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException)
            {
                // Nobody listens: a stale socket from a PM that died.
                File.Delete(path);
                return;
            }
        }

        throw new IOException($"{path} is in use: another process accepts connections on it (is another PM running with this IPC dir?)");
    }

    /// <summary>Closes the socket and removes its name; once (a reload's removal and the PM's stop may both ask).</summary>
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        if (Address.SocketPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Already gone.
            }
        }
    }
}
