using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport(Name)]
    internal static partial void free(IntPtr p);
}
