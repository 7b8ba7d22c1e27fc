using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// Every libc entry point Pm uses, declared once. The declarations are split by concern across
/// <c>Libc.*.cs</c> files; callers outside this assembly use the small wrappers beside them, whose
/// names say which syscall and mode they use. Constants are Linux x86-64/glibc values.
/// </summary>
internal static partial class Libc
{
    internal const string Name = "libc";

    internal const int EINTR = 4;
    internal const int ECHILD = 10;
    internal const int EAGAIN = 11;
    internal const int ESRCH = 3;
    internal const int ENOENT = 2;
    internal const int ENXIO = 6;
    internal const int EPERM = 1;

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Name)]
    internal static partial int getpid();

    [LibraryImport(Name)]
    internal static partial uint getuid();

    [LibraryImport(Name)]
    internal static partial uint geteuid();

    [LibraryImport(Name)]
    internal static partial uint getgid();

    [LibraryImport(Name)]
    internal static partial uint getegid();

    [LibraryImport(Name)]
    internal static partial IntPtr strerror(int errnum);

    internal static string ErrorText(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";
}
