using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// open(2) in the few modes Pm uses, statx, and the calls that change or replace files. Every open is
/// O_CLOEXEC and O_NOFOLLOW: files in the IPC directory are never reached through a symbolic link.
/// Methods named Try... return false (or null) with the errno for conditions the caller expects
/// (missing file, no reader, permission); the others throw <see cref="PosixException"/>.
/// </summary>
public static unsafe class PosixFile
{
    private const int Common = Libc.O_CLOEXEC | Libc.O_NOFOLLOW | Libc.O_NOCTTY;

    /// <summary>open(O_RDONLY|O_DIRECTORY|O_NOFOLLOW).</summary>
    public static int OpenDirectoryNoFollow(string path) =>
        Open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Common, 0, "open(O_DIRECTORY)");

    /// <summary>open(O_RDONLY|O_NONBLOCK): a FIFO's read end, which does not wait for a writer.</summary>
    public static int OpenReadOnlyNonBlocking(string path) =>
        Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Common, 0, "open(O_RDONLY|O_NONBLOCK)");

    /// <summary>
    /// open(O_WRONLY|O_NONBLOCK): a FIFO's write end. On a FIFO with no reader this fails at once with ENXIO
    /// instead of waiting, which is how a writer learns that nobody is reading.
    /// </summary>
    public static bool TryOpenWriteOnlyNonBlocking(string path, out int fd, out int errno) =>
        TryOpen(path, Libc.O_WRONLY | Libc.O_NONBLOCK | Common, 0, out fd, out errno);

    /// <summary>open(O_WRONLY|O_APPEND) of an existing file; never creates it.</summary>
    public static bool TryOpenAppendExisting(string path, out int fd, out int errno) =>
        TryOpen(path, Libc.O_WRONLY | Libc.O_APPEND | Common, 0, out fd, out errno);

    /// <summary>open(O_RDWR|O_CREAT): opens or creates (mode is filtered by the umask).</summary>
    public static int OpenReadWriteOrCreate(string path, uint mode) =>
        Open(path, Libc.O_RDWR | Libc.O_CREAT | Common, mode, "open(O_RDWR|O_CREAT)");

    /// <summary>open(O_RDWR|O_CREAT|O_EXCL): a file that did not exist before this call.</summary>
    public static int CreateExclusiveReadWrite(string path, uint mode) =>
        Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Common, mode, "open(O_RDWR|O_CREAT|O_EXCL)");

    /// <summary>open(O_RDWR) of an existing file.</summary>
    public static int OpenReadWriteExisting(string path) =>
        Open(path, Libc.O_RDWR | Common, 0, "open(O_RDWR)");

    /// <summary>statx(AT_EMPTY_PATH): what the descriptor refers to.</summary>
    public static FileStatus StatDescriptor(int fd)
    {
        Libc.statx_buf buf;
        byte empty = 0;
        if (Libc.statx(fd, &empty, Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, &buf) != 0)
        {
            throw PosixException.FromLastError("statx(AT_EMPTY_PATH)", $"fd {fd}");
        }

        return ToStatus(buf);
    }

    /// <summary>statx(AT_SYMLINK_NOFOLLOW), like lstat: null if the path does not exist.</summary>
    public static FileStatus? StatPathNoFollow(string path)
    {
        var p = NativePath.Encode(path);
        Libc.statx_buf buf;
        fixed (byte* pp = p)
        {
            if (Libc.statx(Libc.AT_FDCWD, pp, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, &buf) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENOENT)
                {
                    return null;
                }

                throw new PosixException("statx(AT_SYMLINK_NOFOLLOW)", errno, path);
            }
        }

        return ToStatus(buf);
    }

    /// <summary>fchmod(2) with the given permission bits.</summary>
    public static void ChangeModeOfDescriptor(int fd, uint mode)
    {
        if (Libc.fchmod(fd, mode) != 0)
        {
            throw PosixException.FromLastError("fchmod", $"fd {fd} to {Convert.ToString(mode, 8)}");
        }
    }

    /// <summary>fchown(fd, -1, gid): changes the group only.</summary>
    public static void ChangeGroupOfDescriptor(int fd, uint groupId)
    {
        if (Libc.fchown(fd, uint.MaxValue, groupId) != 0)
        {
            throw PosixException.FromLastError("fchown", $"fd {fd} to group {groupId}");
        }
    }

    /// <summary>
    /// fchownat(AT_SYMLINK_NOFOLLOW): the owner and group of the file at the path itself, never of a link's target;
    /// null leaves that id as it is (-1). For a Unix socket's file, which has no descriptor to fchown.
    /// </summary>
    public static void ChangeOwnerNoFollow(string path, uint? userId, uint? groupId)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            if (Libc.fchownat(Libc.AT_FDCWD, pp, userId ?? uint.MaxValue, groupId ?? uint.MaxValue, Libc.AT_SYMLINK_NOFOLLOW) != 0)
            {
                throw PosixException.FromLastError("fchownat", $"{path} to {userId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}:{groupId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
            }
        }
    }

    /// <summary>fchmodat(2) of the path (permission bits only); for a Unix socket's file, which has no descriptor to fchmod.</summary>
    public static void ChangeMode(string path, uint mode)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            if (Libc.fchmodat(Libc.AT_FDCWD, pp, mode, 0) != 0)
            {
                throw PosixException.FromLastError("fchmodat", $"{path} to {Convert.ToString(mode, 8)}");
            }
        }
    }

    /// <summary>mkfifo(2). False if something already exists at the path (EEXIST); the caller checks what.</summary>
    public static bool MakeFifo(string path, uint mode) => Make(path, mode, fifo: true);

    /// <summary>mkdir(2). False if something already exists at the path (EEXIST).</summary>
    public static bool MakeDirectory(string path, uint mode) => Make(path, mode, fifo: false);

    /// <summary>link(2): a second name for the same inode.</summary>
    public static void HardLink(string existing, string newPath) => TwoPaths(existing, newPath, "link");

    /// <summary>rename(2): atomically replaces whatever newPath named.</summary>
    public static void Rename(string oldPath, string newPath) => TwoPaths(oldPath, newPath, "rename");

    /// <summary>unlink(2). False if the path did not exist.</summary>
    public static bool Unlink(string path)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            if (Libc.unlink(pp) == 0)
            {
                return true;
            }
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ENOENT)
        {
            return false;
        }

        throw new PosixException("unlink", errno, path);
    }

    /// <summary>pread(2): bytes read at offset (0 at end of file), retrying EINTR.</summary>
    public static int ReadAt(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.pread(fd, p, buffer.Length, offset);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EINTR)
                {
                    throw new PosixException("pread", errno, $"fd {fd} at {offset}");
                }
            }
        }
    }

    /// <summary>ftruncate(2).</summary>
    public static void Truncate(int fd, long length)
    {
        while (Libc.ftruncate(fd, length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("ftruncate", errno, $"fd {fd} to {length}");
            }
        }
    }

    /// <summary>
    /// One write(2), retrying only EINTR: the byte count, or the negated errno (-EAGAIN, -EPIPE, ...). Never throws,
    /// so it can sit on a hot path where every failure is a counted, expected condition.
    /// </summary>
    public static int WriteOnceReturningErrno(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                var n = Libc.write(fd, p, data.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>The errno's text, for messages built by callers that got a negated errno back.</summary>
    public static string ErrorText(int errno) => Libc.ErrorText(errno);

    private static int Open(string path, int flags, uint mode, string call)
    {
        if (!TryOpen(path, flags, mode, out var fd, out var errno))
        {
            throw new PosixException(call, errno, path);
        }

        return fd;
    }

    private static bool TryOpen(string path, int flags, uint mode, out int fd, out int errno)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            while (true)
            {
                fd = Libc.open(pp, flags, mode);
                if (fd >= 0)
                {
                    errno = 0;
                    return true;
                }

                errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EINTR)
                {
                    return false;
                }
            }
        }
    }

    private static bool Make(string path, uint mode, bool fifo)
    {
        var p = NativePath.Encode(path);
        fixed (byte* pp = p)
        {
            if ((fifo ? Libc.mkfifo(pp, mode) : Libc.mkdir(pp, mode)) == 0)
            {
                return true;
            }
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EEXIST)
        {
            return false;
        }

        throw new PosixException(fifo ? "mkfifo" : "mkdir", errno, path);
    }

    private static void TwoPaths(string from, string to, string call)
    {
        var a = NativePath.Encode(from);
        var b = NativePath.Encode(to);
        fixed (byte* pa = a)
        fixed (byte* pb = b)
        {
            var rc = call == "link" ? Libc.link(pa, pb) : Libc.rename(pa, pb);
            if (rc != 0)
            {
                throw PosixException.FromLastError(call, $"{from} -> {to}");
            }
        }
    }

    private static FileStatus ToStatus(in Libc.statx_buf b)
    {
        var kind = (b.stx_mode & Libc.S_IFMT) switch
        {
            Libc.S_IFREG => FileKind.RegularFile,
            Libc.S_IFDIR => FileKind.Directory,
            Libc.S_IFIFO => FileKind.Fifo,
            Libc.S_IFLNK => FileKind.SymbolicLink,
            Libc.S_IFSOCK => FileKind.Socket,
            _ => FileKind.Other,
        };
        var device = ((ulong)b.stx_dev_major << 32) | b.stx_dev_minor;
        return new FileStatus(kind, b.stx_mode, b.stx_uid, b.stx_gid, (long)b.stx_size, device, b.stx_ino, b.stx_nlink);
    }
}
