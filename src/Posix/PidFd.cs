namespace Pm.Posix;

/// <summary>
/// pidfd_open(2): a descriptor that becomes readable when the process exits. Race-free exit notification
/// for children we spawned: opened on a child that already exited (a zombie, since only we reap it), it is
/// readable at once.
/// </summary>
public static class PidFd
{
    public static int Open(int pid)
    {
        var fd = Libc.pidfd_open(pid, 0);
        if (fd < 0)
        {
            throw PosixException.FromLastError("pidfd_open", $"pid {pid}");
        }

        return fd;
    }

    /// <summary>
    /// Blocks until the child exits or <paramref name="timeout"/> passes, woken by its pidfd (no polling); true when
    /// it exited. It is not reaped: the caller reaps it (waitpid).
    /// </summary>
    public static bool WaitExited(int pid, TimeSpan timeout)
    {
        var pidfd = Open(pid);
        try
        {
            using var epoll = new Epoll();
            epoll.Add(pidfd, 1);
            Span<ulong> tokens = stackalloc ulong[1];
            return epoll.Wait(tokens, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue)) > 0;
        }
        finally
        {
            FileDescriptor.Close(pidfd);
        }
    }
}
