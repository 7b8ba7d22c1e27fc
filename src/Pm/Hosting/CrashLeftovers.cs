using System.Globalization;
using Microsoft.Extensions.Logging;
using Pm.Diagnosis;
using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// What a crashed PM (watchdog and core both killed) left running, found and stopped before a new PM on the same IPC
/// dir starts anything, so nothing runs twice. A process is taken for a leftover only on proof: it is in the crashed
/// PM's registry with the same start time (<see cref="InstanceRegistry"/>), or it holds open a file inside the IPC
/// dir (the queue FIFO of a web process) or a socket bound to a name inside it (an app instance's fd 0). Its process
/// group gets SIGTERM, then SIGKILL 500 ms later.
/// </summary>
public static class CrashLeftovers
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>Stops every leftover; returns how many process groups it stopped.</summary>
    public static int Stop(string ipcDir, ILogger log)
    {
        var self = Environment.ProcessId;
        var parent = Identity.ParentProcessId;
        var proofs = new Dictionary<int, string>();
        foreach (var (pid, start) in InstanceRegistry.ReadLive(InstanceRegistry.PathIn(ipcDir)))
        {
            if (ProcStat.Read($"/proc/{pid}/stat") is { } stat && stat.StartTicks == start)
            {
                proofs[pid] = "listed in the crashed PM's registry with its start time";
            }
        }

        foreach (var (pid, what) in HoldersOfIpcFiles(ipcDir))
        {
            proofs.TryAdd(pid, "holds " + what);
        }

        var groups = new Dictionary<int, string>();
        foreach (var (pid, proof) in proofs)
        {
            if (pid == self || pid == parent || ProcStat.Read($"/proc/{pid}/stat") is not { } stat)
            {
                continue;
            }

            var pgid = stat.ProcessGroup;
            if (groups.TryAdd(pgid, proof))
            {
                log.LogWarning("a previous PM on {Ipc} left pid {Pid} ({Command}, process group {Pgid}) running: it {Proof}; stopping its group",
                    ipcDir, pid, stat.Command, pgid, proof);
            }

            ChildProcess.SignalProcess(pid, Signals.SIGTERM);
        }

        foreach (var pgid in groups.Keys)
        {
            if (pgid != Identity.ProcessGroup)
            {
                ChildProcess.SignalGroup(pgid, Signals.SIGTERM);
            }
        }

        var deadline = DateTime.UtcNow + Patience;
        var killedAt = DateTime.UtcNow + Grace;
        var killed = false;
        while (Alive(proofs.Keys, groups.Keys) && DateTime.UtcNow < deadline)
        {
            if (!killed && DateTime.UtcNow >= killedAt)
            {
                killed = true;
                foreach (var pgid in groups.Keys)
                {
                    if (pgid != Identity.ProcessGroup)
                    {
                        ChildProcess.SignalGroup(pgid, Signals.SIGKILL);
                    }
                }

                foreach (var pid in proofs.Keys)
                {
                    if (pid != self && pid != parent)
                    {
                        ChildProcess.SignalProcess(pid, Signals.SIGKILL);
                    }
                }
            }

            Thread.Sleep(20);
        }

        if (Alive(proofs.Keys, groups.Keys))
        {
            throw new IOException($"processes a previous PM left on {ipcDir} are still running after SIGKILL; not starting anything twice");
        }

        return groups.Count;

        bool Alive(IEnumerable<int> pids, IEnumerable<int> pgids) =>
            pids.Any(p => p != self && p != parent && ProcStat.Read($"/proc/{p}/stat") is { State: not 'Z' })
            || pgids.Any(g => g != Identity.ProcessGroup && ChildProcess.GroupExists(g));
    }

    /// <summary>Processes with a descriptor on a path inside the IPC dir, or on a Unix socket bound to a name inside it.</summary>
    private static List<(int Pid, string What)> HoldersOfIpcFiles(string ipcDir)
    {
        var prefix = ipcDir.TrimEnd('/') + "/";
        var sockets = new Dictionary<uint, string>();
        try
        {
            foreach (var e in UnixSocketTable.Read())
            {
                if (e.Path is { } path && path.StartsWith(prefix, StringComparison.Ordinal))
                {
                    sockets[e.Inode] = path;
                }
            }
        }
        catch (PosixException)
        {
            // No sock_diag: files only.
        }

        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string[] fds;
            try
            {
                fds = Directory.GetFiles(dir + "/fd");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var fd in fds)
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }

                if (target is null)
                {
                    continue;
                }

                if (target.StartsWith(prefix, StringComparison.Ordinal))
                {
                    found.Add((pid, target));
                    break;
                }

                if (UnixSocketTable.SocketInode(target) is { } inode && sockets.TryGetValue(inode, out var name))
                {
                    found.Add((pid, "a socket bound to " + name));
                    break;
                }
            }
        }

        return found;
    }
}
