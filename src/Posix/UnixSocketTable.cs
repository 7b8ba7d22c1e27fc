using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Pm.Posix;

/// <summary>
/// Every Unix-domain socket on the machine, from the kernel's sock_diag netlink interface (what `ss -x` reads):
/// inode, state, bound path, the peer's inode and queue lengths. For a listening socket the receive queue is the
/// number of connections waiting to be accepted; a connection an app accepted carries the listening socket's path.
/// The PM reads an app's waiting demand and which instance holds a connection from here; the web processes learn
/// which process answers on a connection (a shared listening socket hides that from SO_PEERCRED).
/// </summary>
public static unsafe class UnixSocketTable
{
    public const byte StateEstablished = 1;
    public const byte StateListen = 10;

    private const ushort SockDiagByFamily = 20;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort NlmFRequest = 1;
    private const ushort NlmFDump = 0x300;
    private const uint ShowName = 1;
    private const uint ShowPeer = 4;
    private const uint ShowIcons = 8;
    private const uint ShowRqlen = 0x10;
    private const ushort AttrName = 0;
    private const ushort AttrPeer = 2;
    private const ushort AttrIcons = 3;
    private const ushort AttrRqlen = 4;

    /// <summary>
    /// One socket: its inode, state (1 established, 10 listening), path (null if unbound), peer inode (0 if none),
    /// queues; for a listener read with waiting connections asked for, the inodes of the connecting sockets whose
    /// connections wait in its accept queue (UNIX_DIAG_ICONS), else null.
    /// </summary>
    public readonly record struct Entry(uint Inode, byte State, string? Path, uint PeerInode, uint ReceiveQueue, uint SendQueue, uint[]? Waiting = null);

    /// <summary>Dumps the table. Only sockets whose path is in <paramref name="paths"/> (or every socket when null) are kept.</summary>
    public static List<Entry> Read(IReadOnlySet<string>? paths = null) => Read(paths, waiting: false);

    /// <summary>
    /// Whether the connection of the socket with inode <paramref name="connecting"/> waits, not yet accepted, in the
    /// accept queue of a listener bound to one of <paramref name="listenerPaths"/>: the kernel lists, for each
    /// connection in a listener's queue, the inode of the socket that connected. Null when no such listener exists.
    /// </summary>
    public static bool? WaitsForAccept(uint connecting, IReadOnlySet<string> listenerPaths)
    {
        bool? found = null;
        foreach (var entry in Read(listenerPaths, waiting: true))
        {
            if (entry.State == StateListen)
            {
                found = (found ?? false) || (entry.Waiting is { } waiting && Array.IndexOf(waiting, connecting) >= 0);
            }
        }

        return found;
    }

    private static List<Entry> Read(IReadOnlySet<string>? paths, bool waiting)
    {
        var fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_SOCK_DIAG);
        if (fd < 0)
        {
            throw PosixException.FromLastError("socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
        }

        try
        {
            Request(fd, ShowName | ShowPeer | ShowRqlen | (waiting ? ShowIcons : 0));
            return Receive(fd, paths);
        }
        finally
        {
            FileDescriptor.Close(fd);
        }
    }

    /// <summary>fstat(fd).st_ino: the inode that names a socket descriptor in this table.</summary>
    public static uint InodeOf(int fd) => (uint)PosixFile.StatDescriptor(fd).Inode;

    /// <summary>
    /// The socket inodes among a process's descriptors (/proc/PID/fd links "socket:[N]"); none when the process is
    /// gone or not ours to look at. One getdents64 per 170 or so descriptors and one readlinkat each, nothing else:
    /// .NET's directory enumeration stats the target of every link and FileInfo.LinkTarget lstats it again, three
    /// system calls a descriptor, which were 40 % of the PM's CPU while it watched 8 busy dynamic instances every 20 ms.
    /// </summary>
    public static List<uint> SocketInodesOf(int pid)
    {
        var result = new List<uint>();
        var path = stackalloc byte[40];
        var pathSpan = new Span<byte>(path, 40);
        if (!System.Text.Unicode.Utf8.TryWrite(pathSpan, System.Globalization.CultureInfo.InvariantCulture, $"/proc/{pid}/fd\0", out _))
        {
            return result;
        }

        var dir = Libc.open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (dir < 0)
        {
            return result;
        }

        try
        {
            const int Size = 4096;
            const int LinkSize = 64;
            var entries = stackalloc byte[Size];
            var link = stackalloc byte[LinkSize];
            while (true)
            {
                var got = Libc.getdents64(dir, entries, Size);
                if (got <= 0)
                {
                    break; // the end, or the process exited while we looked
                }

                for (nint at = 0; at < got;)
                {
                    var entry = entries + at;
                    var name = entry + Libc.Dirent64NameOffset;
                    if (name[0] != (byte)'.')
                    {
                        var length = Libc.readlinkat(dir, name, link, LinkSize);
                        if (length > 0 && SocketInode(new ReadOnlySpan<byte>(link, (int)length)) is { } inode)
                        {
                            result.Add(inode);
                        }
                    }

                    at += *(ushort*)(entry + Libc.Dirent64ReclenOffset);
                }
            }
        }
        finally
        {
            Libc.close(dir);
        }

        return result;
    }

    /// <summary>The inode of a link target "socket:[N]", as bytes from readlink; null for anything else.</summary>
    public static uint? SocketInode(ReadOnlySpan<byte> linkTarget) =>
        linkTarget.StartsWith("socket:["u8) && linkTarget.Length > 9 && linkTarget[^1] == (byte)']'
        && System.Buffers.Text.Utf8Parser.TryParse(linkTarget[8..^1], out uint inode, out var consumed) && consumed == linkTarget.Length - 9
            ? inode : null;

    /// <summary>As <see cref="SocketInode(ReadOnlySpan{byte})"/>, for a target read as a string.</summary>
    public static uint? SocketInode(string linkTarget)
    {
        Span<byte> bytes = stackalloc byte[64];
        return System.Text.Ascii.FromUtf16(linkTarget, bytes, out var written) == System.Buffers.OperationStatus.Done
            ? SocketInode(bytes[..written]) : null;
    }

    private static void Request(int fd, uint show)
    {
        // struct nlmsghdr (16 bytes) + struct unix_diag_req (24 bytes).
        var msg = stackalloc byte[40];
        new Span<byte>(msg, 40).Clear();
        var span = new Span<byte>(msg, 40);
        BinaryPrimitives.WriteUInt32LittleEndian(span, 40);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], 1);
        span[16] = 1; // AF_UNIX
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], uint.MaxValue); // every state
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], show);
        if (Libc.send(fd, msg, 40, 0) != 40)
        {
            throw PosixException.FromLastError("send(sock_diag request)");
        }
    }

    private static List<Entry> Receive(int fd, IReadOnlySet<string>? paths)
    {
        var entries = new List<Entry>();
        var buffer = new byte[65536];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = Libc.recv(fd, p, buffer.Length, 0);
            }

            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                throw new PosixException("recv(sock_diag)", errno);
            }

            var data = buffer.AsSpan(0, (int)n);
            while (data.Length >= 16)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                if (length < 16 || length > data.Length)
                {
                    return entries;
                }

                if (type == NlmsgDone)
                {
                    return entries;
                }

                if (type == NlmsgError)
                {
                    var error = -BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
                    throw new PosixException("sock_diag", error);
                }

                if (Parse(data[16..length], paths) is { } entry)
                {
                    entries.Add(entry);
                }

                data = data[Align(length)..];
            }
        }
    }

    private static Entry? Parse(ReadOnlySpan<byte> body, IReadOnlySet<string>? paths)
    {
        // struct unix_diag_msg: family, type, state, pad, ino (u32), cookie[2]; then attributes.
        if (body.Length < 16)
        {
            return null;
        }

        var state = body[2];
        var inode = BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        string? path = null;
        uint peer = 0, rq = 0, wq = 0;
        uint[]? waiting = null;
        var attrs = body[16..];
        while (attrs.Length >= 4)
        {
            var len = BinaryPrimitives.ReadUInt16LittleEndian(attrs);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(attrs[2..]);
            if (len < 4 || len > attrs.Length)
            {
                break;
            }

            var payload = attrs[4..len];
            switch (type)
            {
                case AttrName when payload.Length > 0 && payload[0] != 0:
                    var end = payload.IndexOf((byte)0);
                    path = Encoding.UTF8.GetString(end < 0 ? payload : payload[..end]);
                    break;
                case AttrPeer when payload.Length >= 4:
                    peer = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                    break;
                case AttrIcons:
                    waiting = new uint[payload.Length / 4];
                    for (var i = 0; i < waiting.Length; i++)
                    {
                        waiting[i] = BinaryPrimitives.ReadUInt32LittleEndian(payload[(i * 4)..]);
                    }

                    break;
                case AttrRqlen when payload.Length >= 8:
                    rq = BinaryPrimitives.ReadUInt32LittleEndian(payload);
                    wq = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
                    break;
            }

            attrs = attrs[Math.Min(Align(len), attrs.Length)..];
        }

        if (paths is not null && (path is null || !paths.Contains(path)))
        {
            return null;
        }

        return new Entry(inode, state, path, peer, rq, wq, waiting);
    }

    private static int Align(int n) => (n + 3) & ~3;
}
