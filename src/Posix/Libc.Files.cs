using System.Runtime.InteropServices;

namespace Pm.Posix;

// Files, FIFOs, open-file-description locks and inotify: what the web->PM queue needs.
// Values are Linux x86-64/glibc. statx is used instead of stat/fstat/lstat because its struct layout is the
// same on every architecture and glibc (>= 2.28) exports it directly, with no __xstat versioning.
internal static unsafe partial class Libc
{
    internal const int EACCES = 13;
    internal const int EEXIST = 17;
    internal const int EPIPE = 32;
    internal const int ELOOP = 40;

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_APPEND = 0x400;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_BASIC_STATS = 0x7ff;

    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFIFO = 0x1000;
    internal const uint S_IFSOCK = 0xC000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFLNK = 0xA000;

    // Open file description locks (Linux >= 3.15): owned by the open file, not the process, so closing another
    // descriptor of the same file does not drop them and threads holding different descriptors exclude each other.
    internal const int F_OFD_GETLK = 36;
    internal const int F_OFD_SETLK = 37;
    internal const int F_OFD_SETLKW = 38;
    internal const short F_RDLCK = 0;
    internal const short F_WRLCK = 1;
    internal const short F_UNLCK = 2;
    internal const int F_SETPIPE_SZ = 1031;
    internal const int F_GETPIPE_SZ = 1032;

    internal const nuint FIONREAD = 0x541B;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;

    internal const int IN_NONBLOCK = 0x800;
    internal const int IN_CLOEXEC = 0x80000;
    internal const uint IN_MODIFY = 0x2;
    internal const uint IN_ATTRIB = 0x4;
    internal const uint IN_CLOSE_WRITE = 0x8;

    [StructLayout(LayoutKind.Sequential)]
    internal struct flock_struct
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct poll_fd
    {
        public int fd;
        public short events;
        public short revents;
    }

    // struct statx is 256 bytes; only the leading fields are read, the rest is reserved space the kernel may fill.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct statx_buf
    {
        [FieldOffset(0)] public uint stx_mask;
        [FieldOffset(16)] public uint stx_nlink;
        [FieldOffset(20)] public uint stx_uid;
        [FieldOffset(24)] public uint stx_gid;
        [FieldOffset(28)] public ushort stx_mode;
        [FieldOffset(32)] public ulong stx_ino;
        [FieldOffset(40)] public ulong stx_size;
        [FieldOffset(112)] public long stx_mtime_sec;
        [FieldOffset(120)] public uint stx_mtime_nsec;
        [FieldOffset(136)] public uint stx_dev_major;
        [FieldOffset(140)] public uint stx_dev_minor;
    }

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int open(byte* path, int flags, uint mode);

    // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, then the NUL-terminated name.
    internal const int Dirent64ReclenOffset = 16;
    internal const int Dirent64NameOffset = 19;

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint getdents64(int fd, byte* dirp, nint count);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint readlinkat(int dirfd, byte* path, byte* buf, nint size);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int mkfifo(byte* path, uint mode);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int mkdir(byte* path, uint mode);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int statx(int dirfd, byte* path, int flags, uint mask, statx_buf* buf);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int fchownat(int dirfd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int fchmodat(int dirfd, byte* path, uint mode, int flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int link(byte* oldpath, byte* newpath);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int rename(byte* oldpath, byte* newpath);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int unlink(byte* path);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint pread(int fd, byte* buf, nint count, long offset);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int ftruncate(int fd, long length);

    [LibraryImport(Name, SetLastError = true, EntryPoint = "fcntl")]
    internal static partial int fcntl_flock(int fd, int cmd, flock_struct* lk);

    [LibraryImport(Name, SetLastError = true, EntryPoint = "ioctl")]
    internal static partial int ioctl_int(int fd, nuint request, int* arg);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int poll(poll_fd* fds, nuint nfds, int timeout);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int inotify_init1(int flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int inotify_add_watch(int fd, byte* path, uint mask);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int inotify_rm_watch(int fd, int wd);
}
