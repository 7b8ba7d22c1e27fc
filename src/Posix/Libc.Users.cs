using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    internal const int X_OK = 1;

    // struct passwd / struct group on glibc x86-64: pointers and ids in this order.
    [StructLayout(LayoutKind.Sequential)]
    internal struct PasswdEntry
    {
        public IntPtr pw_name;
        public IntPtr pw_passwd;
        public uint pw_uid;
        public uint pw_gid;
        public IntPtr pw_gecos;
        public IntPtr pw_dir;
        public IntPtr pw_shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct GroupEntry
    {
        public IntPtr gr_name;
        public IntPtr gr_passwd;
        public uint gr_gid;
        public IntPtr gr_mem;
    }

    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int getpwnam_r(string name, PasswdEntry* pwd, byte* buf, nint buflen, PasswdEntry** result);

    [LibraryImport(Name)]
    internal static partial int getpwuid_r(uint uid, PasswdEntry* pwd, byte* buf, nint buflen, PasswdEntry** result);

    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int getgrnam_r(string name, GroupEntry* grp, byte* buf, nint buflen, GroupEntry** result);

    [LibraryImport(Name)]
    internal static partial int getgrgid_r(uint gid, GroupEntry* grp, byte* buf, nint buflen, GroupEntry** result);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int getgroups(int size, uint* list);

    [LibraryImport(Name, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string path, int mode);
}
