using Pm.Posix;
using Pm.Supervision;

namespace Pm.Dynamic;

/// <summary>
/// Finds out, from the kernel, what the PM cannot see directly with a shared listening socket: how many
/// connections wait in each app's accept queue, and which instances hold an accepted connection (a request).
/// One sock_diag dump for all the apps' sockets (by the name they were bound to), then the socket descriptors of each instance and of its
/// direct children (php-cgi's workers accept in the children).
/// </summary>
public static class ConnectionProbe
{
    public static void Refresh(IReadOnlyCollection<SupervisedApp> apps, DateTimeOffset now)
    {
        var paths = apps.Where(a => a.Socket.BoundName is not null).Select(a => a.Socket.BoundName!).ToHashSet();
        if (paths.Count == 0)
        {
            return;
        }

        List<UnixSocketTable.Entry> table;
        try
        {
            table = UnixSocketTable.Read(paths);
        }
        catch (PosixException)
        {
            return;
        }

        foreach (var app in apps)
        {
            var path = app.Socket.BoundName;
            if (path is null)
            {
                continue;
            }

            var accepted = new HashSet<uint>();
            var queued = 0;
            foreach (var e in table)
            {
                if (e.Path != path)
                {
                    continue;
                }

                if (e.State == UnixSocketTable.StateListen)
                {
                    queued += (int)e.ReceiveQueue;
                }
                else if (e.State == UnixSocketTable.StateEstablished)
                {
                    accepted.Add(e.Inode);
                }
            }

            if (app is DynamicApp dynamic)
            {
                dynamic.QueuedConnections = queued;
            }

            foreach (var instance in app.Instances)
            {
                var holds = accepted.Count > 0 && HoldsAny(instance.Pid, accepted);
                if (holds != instance.HoldsRequest)
                {
                    instance.HoldsRequest = holds;
                    instance.StateSince = now;
                }

                instance.EverServed |= holds;
                if (!instance.Ready && (holds || IsWaitingForWork(instance.Pid)))
                {
                    instance.Ready = true;
                    instance.StateSince = now;
                }
            }
        }
    }

    /// <summary>
    /// Whether the instance (or a child of it: php-cgi's workers) is blocked waiting for work: in accept(2) on fd 0,
    /// or in poll/select/epoll. /proc/PID/syscall shows the system call a blocked thread is in; until an instance
    /// gets there it is still starting (exec, dynamic linking, the app's own initialisation).
    /// </summary>
    private static bool IsWaitingForWork(int pid) => WaitsForWork(pid) || Children(pid).Any(WaitsForWork);

    private static bool WaitsForWork(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/syscall");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var fields = text.Split(' ', 3);
        if (fields.Length < 2 || !int.TryParse(fields[0], out var nr))
        {
            return false;
        }

        return nr switch
        {
            43 or 288 => fields[1] == "0x0",                 // accept, accept4 on FCGI_LISTENSOCK_FILENO
            7 or 23 or 232 or 270 or 271 or 281 or 441 => true, // poll, select, epoll_wait, pselect6, ppoll, epoll_pwait, epoll_pwait2
            _ => false,
        };
    }

    private static bool HoldsAny(int pid, HashSet<uint> accepted)
    {
        if (UnixSocketTable.SocketInodesOf(pid).Any(accepted.Contains))
        {
            return true;
        }

        foreach (var child in Children(pid))
        {
            if (UnixSocketTable.SocketInodesOf(child).Any(accepted.Contains))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<int> Children(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(word, out var child))
            {
                yield return child;
            }
        }
    }
}
