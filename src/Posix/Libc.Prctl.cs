using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static partial class Libc
{
    internal const int PR_SET_CHILD_SUBREAPER = 36;

    [LibraryImport(Name)]
    internal static partial int getppid();

    [LibraryImport(Name)]
    internal static partial int getpgrp();

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
