using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// An inotify instance used only as a doorbell: the owner polls <see cref="Fd"/> for readability (with
/// <see cref="Epoll"/>) and then <see cref="Drain"/>s it; events are not decoded, a wake-up means "look again".
/// </summary>
public sealed unsafe class Inotify : IDisposable
{
    private Inotify(int fd) => Fd = fd;

    public int Fd { get; }

    /// <summary>inotify_init1(IN_NONBLOCK|IN_CLOEXEC).</summary>
    public static Inotify Create()
    {
        var fd = Libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        if (fd < 0)
        {
            throw PosixException.FromLastError("inotify_init1");
        }

        return new Inotify(fd);
    }

    /// <summary>inotify_add_watch(IN_MODIFY): wakes on every write to the file (the inode, whatever it is renamed to).</summary>
    public int WatchModify(string path)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            var wd = Libc.inotify_add_watch(Fd, pp, Libc.IN_MODIFY);
            if (wd < 0)
            {
                throw PosixException.FromLastError("inotify_add_watch(IN_MODIFY)", path);
            }

            return wd;
        }
    }

    /// <summary>inotify_rm_watch; a watch whose file is already gone is ignored.</summary>
    public void RemoveWatch(int wd) => _ = Libc.inotify_rm_watch(Fd, wd);

    /// <summary>Reads and discards every queued event. True if there was at least one.</summary>
    public bool Drain()
    {
        Span<byte> buffer = stackalloc byte[4096];
        var any = false;
        while (Pipe.ReadNonBlocking(Fd, buffer) > 0)
        {
            any = true;
        }

        return any;
    }

    public void Dispose() => FileDescriptor.Close(Fd);
}
