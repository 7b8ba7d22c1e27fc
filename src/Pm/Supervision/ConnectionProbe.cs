using Pm.Posix;

namespace Pm.Supervision;

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
        List<UnixSocketTable.Entry>? table = null;
        if (paths.Count > 0)
        {
            try
            {
                table = UnixSocketTable.Read(paths);
            }
            catch (PosixException)
            {
                // No sock_diag: who holds a request is unknown this time; readiness is still seen below.
            }
        }

        foreach (var app in apps)
        {
            // TCP sockets (-port apps, the web processes' HTTP port) have no bound name: readiness only.
            var path = app.Socket.BoundName;
            HashSet<uint>? accepted = null;
            if (path is not null && table is not null)
            {
                accepted = [];
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

                app.QueuedConnections = queued;
                app.QueuedConnectionsMax = Math.Max(app.QueuedConnectionsMax, queued);
            }

            foreach (var instance in app.Instances)
            {
                if (accepted is not null)
                {
                    var holds = accepted.Count > 0 && HoldsAny(instance.Pid, accepted);
                    if (holds != instance.HoldsRequest)
                    {
                        instance.HoldsRequest = holds;
                        instance.StateSince = now;
                    }

                    instance.EverServed |= holds;
                }

                // Ready: seen holding a request or waiting for work, or it has accepted a connection already (the
                // shim's count), which also catches one that answered and wedged before any round saw it.
                if (!instance.Ready && (instance.HoldsRequest || instance.Page is { ShimLoaded: true, Accepted: > 0 } || IsWaitingForWork(instance.Pid)))
                {
                    instance.Ready = true;
                    instance.StateSince = now;
                }
            }
        }
    }

    /// <summary>
    /// Whether the instance (or a child of it: php-cgi's workers) waits for work on its listening socket: a thread
    /// blocked in accept(2) on fd 0 (libfcgi, php-cgi), fd 0 in one of its epoll sets (.NET, libuv, any event loop),
    /// or its main thread in poll/select (an event loop whose watch list /proc does not show). Until then it is still
    /// starting (exec, dynamic linking, the app's own initialisation).
    /// </summary>
    public static bool IsWaitingForWork(int pid) => WaitsForWork(pid) || Children(pid).Any(WaitsForWork);

    /// <summary>
    /// Whether who holds a request can be known for the app: a Unix socket with a bound name and a working sock_diag.
    /// For TCP apps (-port) and the web processes it cannot, so they are never judged stuck.
    /// </summary>
    public static bool CanSeeRequests(SupervisedApp app) => app.Socket.BoundName is not null;

    /// <summary>
    /// The instance holding the app-side end of the connection whose other end (a web process's socket) has inode
    /// <paramref name="clientInode"/>: from the kernel's socket table, then the socket descriptors of each instance
    /// and its children. Null when no instance holds it (the app ended the request, or the instance exited).
    /// </summary>
    public static (Instance Instance, int HoldingPid)? HolderOf(SupervisedApp app, ulong clientInode)
    {
        if (app.Socket.BoundName is not { } path || clientInode is 0 or > uint.MaxValue)
        {
            return null;
        }

        uint serverSide = 0;
        foreach (var e in UnixSocketTable.Read(new HashSet<string>(StringComparer.Ordinal) { path }))
        {
            if (e.Path == path && e.PeerInode == (uint)clientInode && e.State == UnixSocketTable.StateEstablished)
            {
                serverSide = e.Inode;
                break;
            }
        }

        if (serverSide == 0)
        {
            return null;
        }

        foreach (var instance in app.Instances)
        {
            if (UnixSocketTable.SocketInodesOf(instance.Pid).Contains(serverSide))
            {
                return (instance, instance.Pid);
            }

            foreach (var child in Children(instance.Pid))
            {
                if (UnixSocketTable.SocketInodesOf(child).Contains(serverSide))
                {
                    return (instance, child);
                }
            }
        }

        return null;
    }

    private static bool WaitsForWork(int pid)
    {
        if (Syscall($"/proc/{pid}/syscall") is { } blocked && (blocked.Accepting || blocked.Polling))
        {
            return true;
        }

        var main = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ThreadsOf(pid).Any(tid => tid != main && Syscall($"/proc/{pid}/task/{tid}/syscall") is { Accepting: true }) || WatchesFd0(pid);
    }

    private readonly record struct BlockedIn(bool Accepting, bool Polling);

    private static BlockedIn? Syscall(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var fields = text.Split(' ', 3);
        if (fields.Length < 2 || !int.TryParse(fields[0], out var nr))
        {
            return null;
        }

        return nr switch
        {
            43 or 288 => new BlockedIn(fields[1] == "0x0", false), // accept, accept4 on FCGI_LISTENSOCK_FILENO
            7 or 23 or 232 or 270 or 271 or 281 or 441 => new BlockedIn(false, true), // poll, select, epoll_wait, pselect6, ppoll, epoll_pwait, epoll_pwait2
            _ => new BlockedIn(false, false),
        };
    }

    private static IEnumerable<string> ThreadsOf(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task").Select(Path.GetFileName).OfType<string>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Whether one of the process's epoll instances watches fd 0 (a "tfd: 0" line in its fdinfo).</summary>
    private static bool WatchesFd0(int pid)
    {
        string[] fds;
        try
        {
            fds = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        foreach (var fd in fds)
        {
            try
            {
                if (new FileInfo(fd).LinkTarget != "anon_inode:[eventpoll]")
                {
                    continue;
                }

                foreach (var line in File.ReadLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}"))
                {
                    if (line.StartsWith("tfd:", StringComparison.Ordinal)
                        && line.AsSpan(4).TrimStart().StartsWith("0 ", StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The fd closed meanwhile.
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the instance and its children are all stopped (state T after SIGSTOP), so that none can still be
    /// finishing an accept(2): only then does the socket table show every connection the instance holds.
    /// A process that is gone counts as stopped.
    /// </summary>
    public static bool IsStopped(int pid) => StoppedOrGone(pid) && Children(pid).All(StoppedOrGone);

    private static bool StoppedOrGone(int pid) =>
        Diagnosis.ProcStat.Read($"/proc/{pid}/stat") is not { } stat || stat.State is 'T' or 't' or 'Z' or 'X';

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
