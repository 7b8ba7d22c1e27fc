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

    public static bool IsRoot => Libc.geteuid() == 0;
}
