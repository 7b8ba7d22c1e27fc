using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// Pipe-specific calls for FIFOs. A write of at most <see cref="AtomicWriteLimit"/> bytes to a pipe is atomic:
/// it lands whole and contiguous or (with O_NONBLOCK) not at all, which is what lets many processes share one.
/// </summary>
public static unsafe class Fifo
{
    /// <summary>PIPE_BUF on Linux.</summary>
    public const int AtomicWriteLimit = 4096;

    /// <summary>ioctl(FIONREAD): bytes waiting in the pipe right now.</summary>
    public static int BytesAvailable(int fd)
    {
        int n;
        if (Libc.ioctl_int(fd, Libc.FIONREAD, &n) != 0)
        {
            throw PosixException.FromLastError("ioctl(FIONREAD)", $"fd {fd}");
        }

        return n;
    }

    /// <summary>
    /// fcntl(F_SETPIPE_SZ): asks for a larger pipe buffer; returns the capacity in effect afterwards. Refusals
    /// (above /proc/sys/fs/pipe-max-size, or the user's pipe page quota) keep the old capacity and are not errors.
    /// </summary>
    public static int TrySetCapacity(int fd, int bytes)
    {
        var r = Libc.fcntl_int(fd, Libc.F_SETPIPE_SZ, bytes);
        return r > 0 ? r : Libc.fcntl_int(fd, Libc.F_GETPIPE_SZ, 0);
    }

    /// <summary>
    /// poll(POLLOUT) for at most timeoutMs: true once the pipe has room (a following atomic write may still lose
    /// the room to another writer), or when the descriptor is in error, so that the write reports the error.
    /// </summary>
    public static bool WaitWritable(int fd, int timeoutMs)
    {
        var p = new Libc.poll_fd { fd = fd, events = Libc.POLLOUT };
        while (true)
        {
            var r = Libc.poll(&p, 1, timeoutMs);
            if (r >= 0)
            {
                return r > 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("poll(POLLOUT)", errno, $"fd {fd}");
            }
        }
    }
}
