using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    // struct stat on x86-64: st_dev(8) st_ino(8) st_nlink(8) st_mode(4) st_uid(4) st_gid(4) pad(4) st_rdev(8)
    // st_size(8) ... 144 bytes in all.
    internal const int StatSize = 144;
    internal const int StatModeOffset = 24;
    internal const int StatUidOffset = 28;
    internal const int StatGidOffset = 32;
    internal const int StatSizeOffset = 48;

    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int lstat(string path, byte* buf);
}
