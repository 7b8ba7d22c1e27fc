using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    internal const uint MFD_CLOEXEC = 0x0001;
    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01;
    internal static readonly nint MAP_FAILED = -1;

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int memfd_create(byte* name, uint flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int munmap(nint addr, nuint length);
}
