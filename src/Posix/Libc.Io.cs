using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;

    internal const uint EPOLLIN = 0x001;
    internal const uint EPOLLERR = 0x008;
    internal const uint EPOLLHUP = 0x010;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EFD_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = 0x800;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct epoll_event
    {
        public uint events;
        public ulong data;
    }

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    [LibraryImport(Name, SetLastError = true, EntryPoint = "fcntl")]
    internal static partial int fcntl_int(int fd, int cmd, int arg);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int epoll_ctl(int epfd, int op, int fd, epoll_event* ev);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);
}
