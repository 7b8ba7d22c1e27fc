namespace Pm.Posix;

/// <summary>Closes raw descriptors that are not wrapped in a SafeHandle.</summary>
public static class FileDescriptor
{
    /// <summary>close(2), ignoring EINTR (Linux always releases the descriptor).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = Libc.close(fd);
        }
    }

    /// <summary>fcntl(F_DUPFD_CLOEXEC): another descriptor for the same open file (a socket stays open while either is).</summary>
    public static int Duplicate(int fd)
    {
        const int F_DUPFD_CLOEXEC = 1030;
        var copy = Libc.fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return copy >= 0 ? copy : throw PosixException.FromLastError("fcntl(F_DUPFD_CLOEXEC)");
    }
}
