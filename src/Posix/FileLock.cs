using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// Open file description locks (fcntl F_OFD_SETLK). Unlike classic POSIX record locks they belong to the open
/// file, not the process: closing some other descriptor of the file does not release them, and two descriptors
/// opened separately in one process exclude each other. Threads sharing one descriptor share its locks, so
/// callers that write from several threads still need their own in-process lock. Ranges may lie beyond the end
/// of the file; a whole-file lock conflicts with every range.
/// </summary>
public static unsafe class FileLock
{
    /// <summary>F_OFD_SETLK with F_WRLCK over the whole file, never waiting. False while another open file holds any lock on it.</summary>
    /// <remarks>The descriptor must be open for writing.</remarks>
    public static bool TryLockExclusiveNoWait(int fd) => TryLockRangeExclusiveNoWait(fd, 0, 0);

    /// <summary>F_OFD_SETLK with F_WRLCK over [start, start + length) (length 0: to infinity), never waiting.</summary>
    public static bool TryLockRangeExclusiveNoWait(int fd, long start, long length)
    {
        var lk = new Libc.flock_struct { l_type = Libc.F_WRLCK, l_whence = 0, l_start = start, l_len = length, l_pid = 0 };
        while (Libc.fcntl_flock(fd, Libc.F_OFD_SETLK, &lk) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN || errno == Libc.EACCES)
            {
                return false;
            }

            if (errno != Libc.EINTR)
            {
                throw new PosixException("fcntl(F_OFD_SETLK, F_WRLCK)", errno, $"fd {fd}");
            }
        }

        return true;
    }

    /// <summary>
    /// F_OFD_GETLK with F_WRLCK over [start, start + length): true if another open file holds a lock that
    /// overlaps it (a write lock there would fail). Locks held through this descriptor do not count.
    /// </summary>
    public static bool IsRangeLockedByOther(int fd, long start, long length)
    {
        var lk = new Libc.flock_struct { l_type = Libc.F_WRLCK, l_whence = 0, l_start = start, l_len = length, l_pid = 0 };
        while (Libc.fcntl_flock(fd, Libc.F_OFD_GETLK, &lk) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("fcntl(F_OFD_GETLK)", errno, $"fd {fd}");
            }
        }

        return lk.l_type != Libc.F_UNLCK;
    }

    /// <summary>F_OFD_SETLK with F_UNLCK over the whole file.</summary>
    public static void Unlock(int fd) => UnlockRange(fd, 0, 0);

    /// <summary>F_OFD_SETLK with F_UNLCK over [start, start + length).</summary>
    public static void UnlockRange(int fd, long start, long length)
    {
        var lk = new Libc.flock_struct { l_type = Libc.F_UNLCK, l_whence = 0, l_start = start, l_len = length, l_pid = 0 };
        while (Libc.fcntl_flock(fd, Libc.F_OFD_SETLK, &lk) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("fcntl(F_OFD_SETLK, F_UNLCK)", errno, $"fd {fd}");
            }
        }
    }
}
