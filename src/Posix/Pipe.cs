using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>pipe2(O_CLOEXEC) and non-blocking reads of raw descriptors.</summary>
public static unsafe class Pipe
{
    /// <summary>A close-on-exec pipe; the read end is made non-blocking, the write end stays blocking for the child.</summary>
    public static (int ReadFd, int WriteFd) CreateWithNonBlockingReadEnd()
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw PosixException.FromLastError("pipe2");
        }

        SetNonBlocking(fds[0]);
        return (fds[0], fds[1]);
    }

    public static void SetNonBlocking(int fd)
    {
        var flags = Libc.fcntl_int(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl_int(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0)
        {
            throw PosixException.FromLastError("fcntl(O_NONBLOCK)", $"fd {fd}");
        }
    }

    /// <summary>read(2) on a non-blocking descriptor: bytes read, 0 at end of file, -1 when nothing is ready (EAGAIN).</summary>
    public static int ReadNonBlocking(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.read(fd, p, buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN)
                {
                    return -1;
                }

                if (errno != Libc.EINTR)
                {
                    throw new PosixException("read", errno, $"fd {fd}");
                }
            }
        }
    }
}
