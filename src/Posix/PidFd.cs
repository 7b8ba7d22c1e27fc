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
}
