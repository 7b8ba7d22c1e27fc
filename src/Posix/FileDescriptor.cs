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
}
