using System.Runtime.InteropServices;

namespace Pm.Diagnosis;

/// <summary>
/// Names of the syscalls a stuck app is usually found in, for the number /proc/PID/syscall gives. The numbers
/// differ per architecture: x86_64 has its own table, aarch64 uses the generic one (asm-generic/unistd.h), which
/// has no plain poll, select, pause or open (glibc maps them onto ppoll, pselect6, ppoll and openat).
/// Anything else reads "syscall N".
/// </summary>
public static class SyscallNames
{
    private static readonly Dictionary<int, string> X64 = new()
    {
        [0] = "read", [1] = "write", [2] = "open", [3] = "close", [7] = "poll", [16] = "ioctl", [17] = "pread64",
        [19] = "readv", [20] = "writev", [23] = "select", [34] = "pause", [35] = "nanosleep", [42] = "connect",
        [43] = "accept", [44] = "sendto", [45] = "recvfrom", [46] = "sendmsg", [47] = "recvmsg", [61] = "wait4",
        [72] = "fcntl", [73] = "flock", [130] = "rt_sigsuspend", [128] = "rt_sigtimedwait", [202] = "futex",
        [230] = "clock_nanosleep", [232] = "epoll_wait", [257] = "openat", [270] = "pselect6", [271] = "ppoll",
        [281] = "epoll_pwait", [288] = "accept4", [247] = "waitid", [441] = "epoll_pwait2",
    };

    private static readonly Dictionary<int, string> Arm64 = new()
    {
        [22] = "epoll_pwait", [25] = "fcntl", [29] = "ioctl", [32] = "flock", [56] = "openat", [57] = "close",
        [63] = "read", [64] = "write", [65] = "readv", [66] = "writev", [67] = "pread64", [72] = "pselect6",
        [73] = "ppoll", [98] = "futex", [101] = "nanosleep", [115] = "clock_nanosleep", [133] = "rt_sigsuspend",
        [137] = "rt_sigtimedwait", [202] = "accept", [203] = "connect", [206] = "sendto", [207] = "recvfrom",
        [211] = "sendmsg", [212] = "recvmsg", [242] = "accept4", [260] = "wait4", [95] = "waitid", [441] = "epoll_pwait2",
    };

    /// <summary>The name of syscall <paramref name="number"/> on <paramref name="architecture"/>, or "syscall N".</summary>
    public static string Name(int number, Architecture architecture)
    {
        var table = architecture == Architecture.Arm64 ? Arm64 : X64;
        return table.TryGetValue(number, out var name) ? name : $"syscall {number}";
    }

    public static string Name(int number) => Name(number, RuntimeInformation.OSArchitecture);
}
