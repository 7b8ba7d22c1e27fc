namespace Pm.Posix;

/// <summary>Who this process is, as the kernel sees it.</summary>
public static class Identity
{
    public static int ProcessId => Libc.getpid();

    public static int ParentProcessId => Libc.getppid();

    public static int ProcessGroup => Libc.getpgrp();

    public static uint RealUserId => Libc.getuid();

    public static uint EffectiveUserId => Libc.geteuid();

    public static uint EffectiveGroupId => Libc.getegid();

    /// <summary>
    /// The effective group and the supplementary groups (getgroups(2)): the groups a process that is not root may
    /// give its own files with chown.
    /// </summary>
    public static unsafe IReadOnlyList<uint> Groups
    {
        get
        {
            var count = Libc.getgroups(0, null);
            var list = new uint[Math.Max(count, 0) + 1];
            fixed (uint* p = list)
            {
                count = Libc.getgroups(list.Length - 1, p + 1);
            }

            if (count < 0)
            {
                throw PosixException.FromLastError("getgroups");
            }

            list[0] = Libc.getegid();
            return list[..(count + 1)];
        }
    }

    public static bool IsRoot => Libc.geteuid() == 0;
}
