using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>realpath(3): the canonical path with every symbolic link and "." / ".." resolved.</summary>
public static class RealPath
{
    /// <summary>Null when the path does not exist (or cannot be resolved).</summary>
    public static string? Of(string path)
    {
        var p = Libc.realpath(path, IntPtr.Zero);
        if (p == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Libc.free(p);
        }
    }
}
