using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// Signals and reaping for children this process started with <see cref="PosixSpawn"/>.
/// Only pid-specific waits: waitpid(-1) would steal the statuses of children the .NET runtime
/// tracks for System.Diagnostics.Process, and the runtime fails fast when that happens.
/// </summary>
public static class ChildProcess
{
    /// <summary>waitpid(pid, WNOHANG): the status if the child has exited, null while it runs.</summary>
    /// <exception cref="PosixException">ECHILD: someone else reaped it (PID 1 or SIGCHLD ignored).</exception>
    public static WaitStatus? WaitPidExitedNoHang(int pid)
    {
        while (true)
        {
            var r = Libc.waitpid(pid, out var status, Libc.WNOHANG);
            if (r == pid)
            {
                return new WaitStatus(status);
            }

            if (r == 0)
            {
                return null;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("waitpid", errno, $"pid {pid}");
            }
        }
    }

    /// <summary>waitpid(pid, 0): blocks until the child exits (EINTR retried) and returns how it ended.</summary>
    /// <exception cref="PosixException">ECHILD: not our child, or already reaped.</exception>
    public static WaitStatus WaitPidExited(int pid)
    {
        while (true)
        {
            if (Libc.waitpid(pid, out var status, 0) == pid)
            {
                return new WaitStatus(status);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                throw new PosixException("waitpid", errno, $"pid {pid}");
            }
        }
    }

    /// <summary>kill(pid, sig). False when the process no longer exists (ESRCH).</summary>
    public static bool SignalProcess(int pid, int signal) => Send(pid, signal, "kill");

    /// <summary>kill(-pgid, sig): every member of the process group. False when the group is empty (ESRCH).</summary>
    public static bool SignalGroup(int pgid, int signal)
    {
        if (pgid <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "refusing to signal process group <= 1");
        }

        return Send(-pgid, signal, "killpg");
    }

    /// <summary>kill(-pgid, 0): whether any process (zombies included) is still in the group.</summary>
    public static bool GroupExists(int pgid) => pgid > 1 && Send(-pgid, 0, "killpg");

    /// <summary>getpgid(pid), or -1 if the process is gone.</summary>
    public static int GetProcessGroup(int pid)
    {
        var r = Libc.getpgid(pid);
        return r;
    }

    /// <summary>setpriority(PRIO_PROCESS, pid, nice).</summary>
    public static void SetNice(int pid, int nice)
    {
        if (Libc.setpriority(Libc.PRIO_PROCESS, (uint)pid, nice) != 0)
        {
            throw PosixException.FromLastError("setpriority", $"pid {pid} to {nice}");
        }
    }

    private static bool Send(int target, int signal, string call)
    {
        if (Libc.kill(target, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ESRCH)
        {
            return false;
        }

        throw new PosixException(call, errno, $"{target} with {Signals.Name(signal)}");
    }
}
