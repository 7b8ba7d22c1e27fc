using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>Users and groups through NSS (getpwnam_r and friends), so LDAP or systemd users resolve too.</summary>
public static unsafe class UserDatabase
{
    public sealed record User(string Name, uint Uid, uint Gid);

    public sealed record Group(string Name, uint Gid);

    /// <summary>By name, by number, or Apache's "#123" form.</summary>
    public static User? FindUser(string nameOrId)
    {
        var buffer = stackalloc byte[16384];
        Libc.PasswdEntry pwd;
        Libc.PasswdEntry* result = null;
        var text = nameOrId.TrimStart('#');
        var rc = uint.TryParse(text, out var uid)
            ? Libc.getpwuid_r(uid, &pwd, buffer, 16384, &result)
            : Libc.getpwnam_r(nameOrId, &pwd, buffer, 16384, &result);
        if (rc != 0 || result == null)
        {
            return uint.TryParse(text, out uid) ? new User(text, uid, uid) : null;
        }

        return new User(Marshal.PtrToStringUTF8(pwd.pw_name) ?? nameOrId, pwd.pw_uid, pwd.pw_gid);
    }

    public static Group? FindGroup(string nameOrId)
    {
        var buffer = stackalloc byte[16384];
        Libc.GroupEntry grp;
        Libc.GroupEntry* result = null;
        var text = nameOrId.TrimStart('#');
        var rc = uint.TryParse(text, out var gid)
            ? Libc.getgrgid_r(gid, &grp, buffer, 16384, &result)
            : Libc.getgrnam_r(nameOrId, &grp, buffer, 16384, &result);
        if (rc != 0 || result == null)
        {
            return uint.TryParse(text, out gid) ? new Group(text, gid) : null;
        }

        return new Group(Marshal.PtrToStringUTF8(grp.gr_name) ?? nameOrId, grp.gr_gid);
    }

    /// <summary>access(path, X_OK) for the calling process's real ids.</summary>
    public static bool CanExecute(string path) => Libc.access(path, Libc.X_OK) == 0;
}
