using System.Globalization;
using System.Net.Sockets;
using Pm.Config;
using Pm.Posix;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// Which process is at the other end of a connection to an app. SO_PEERCRED cannot tell: it names whoever made
/// the listening socket (the PM), not the instance that accepted. So: the kernel's socket table (sock_diag) gives
/// the app-side socket whose peer is our socket, then the PM's descendants are searched for the process holding
/// it. This costs a table dump and a walk of /proc, so it is done only for a log line, and cached per connection.
/// </summary>
public static class PeerProcess
{
    /// <summary>The pid at the other end of <paramref name="socket"/>, connected to the app's Unix socket; null when unknown.</summary>
    public static int? Find(Socket socket, string appSocketPath, string ipcDir)
    {
        try
        {
            var ours = UnixSocketTable.InodeOf((int)socket.Handle);
            uint theirs = 0;
            // sock_diag reports the name a socket was bound to; the PM binds under a temporary name and renames.
            var names = new HashSet<string>(StringComparer.Ordinal) { appSocketPath, appSocketPath + IpcLayout.TemporarySuffix };
            foreach (var entry in UnixSocketTable.Read(names))
            {
                if (entry.PeerInode == ours && entry.State == UnixSocketTable.StateEstablished)
                {
                    theirs = entry.Inode;
                    break;
                }
            }

            if (theirs == 0 || ReadPmPid(ipcDir) is not { } pm)
            {
                return null;
            }

            foreach (var pid in Descendants(pm))
            {
                if (UnixSocketTable.SocketInodesOf(pid).Contains(theirs))
                {
                    return pid;
                }
            }

            return null;
        }
        catch (Exception e) when (e is PosixException or IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            // The connection or the process went away while we looked: unknown is an honest answer.
            return null;
        }
    }

    private static int? ReadPmPid(string ipcDir)
    {
        try
        {
            return int.TryParse(File.ReadAllText(IpcLayout.PidFile(ipcDir)).AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every descendant of <paramref name="root"/>, breadth first, from /proc/PID/task/*/children.</summary>
    private static List<int> Descendants(int root)
    {
        var result = new List<int>();
        var pending = new Queue<int>();
        pending.Enqueue(root);
        while (pending.Count > 0 && result.Count < 100_000)
        {
            var pid = pending.Dequeue();
            IEnumerable<string> tasks;
            try
            {
                tasks = Directory.EnumerateDirectories($"/proc/{pid}/task");
                foreach (var task in tasks)
                {
                    string text;
                    try
                    {
                        text = File.ReadAllText(Path.Combine(task, "children"));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        continue;
                    }

                    foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                        {
                            result.Add(child);
                            pending.Enqueue(child);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }

        return result;
    }
}
