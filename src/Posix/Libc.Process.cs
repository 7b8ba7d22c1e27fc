using System.Runtime.InteropServices;

namespace Pm.Posix;

internal static unsafe partial class Libc
{
    // posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 bytes on glibc x86-64;
    // callers reserve SpawnStructSize so that a larger future layout still fits.
    internal const int SpawnStructSize = 1024;

    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;

    internal const int WNOHANG = 1;
    internal const int PRIO_PROCESS = 0;

    [LibraryImport(Name)]
    internal static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(Name)]
    internal static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(Name)]
    internal static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Name)]
    internal static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Name)]
    internal static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport(Name)]
    internal static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport(Name)]
    internal static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    [LibraryImport(Name)]
    internal static partial int sigemptyset(void* set);

    [LibraryImport(Name)]
    internal static partial int sigfillset(void* set);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int setpriority(int which, uint who, int prio);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial int getpgid(int pid);
}
