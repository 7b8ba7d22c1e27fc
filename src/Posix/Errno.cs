namespace Pm.Posix;

/// <summary>errno values (Linux) that callers outside this assembly compare against <see cref="PosixException.Errno"/>.</summary>
public static class Errno
{
    public const int ENOENT = Libc.ENOENT;
    public const int ENXIO = Libc.ENXIO;
    public const int EAGAIN = Libc.EAGAIN;
    public const int EACCES = Libc.EACCES;
    public const int EPIPE = Libc.EPIPE;
    public const int ELOOP = Libc.ELOOP;
}
