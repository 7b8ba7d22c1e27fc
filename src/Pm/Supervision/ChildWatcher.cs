using System.Collections.Concurrent;
using System.Text;
using Pm.Posix;

namespace Pm.Supervision;

/// <summary>
/// One thread that waits, with epoll, on every child's pidfd (readable at exit) and on the pipes carrying the
/// children's stdout and stderr. Exit notification is therefore immediate and event-driven, with no polling
/// period and no dependence on SIGCHLD (which merges, and which the runtime consumes first). On exit the child's
/// pending output is drained before the exit is reported, so an app's last words precede its exit in the log.
/// The child is reaped right here, with waitpid on that one pid, so it is a zombie only for microseconds however
/// busy the supervisor loop is; the loop gets the status with the exit event.
/// </summary>
public sealed class ChildWatcher : IDisposable
{
    private const int MaxLine = 8192;

    private readonly Epoll _epoll = new();
    private readonly ConcurrentDictionary<ulong, Watched> _watches = new();
    private readonly Thread _thread;
    private long _nextToken;
    private volatile bool _stopping;

    public ChildWatcher()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "pm-child-watcher" };
        _thread.Start();
    }

    /// <summary>
    /// Watches a child. <paramref name="onLine"/> gets each line it writes (on the watcher thread);
    /// <paramref name="onExit"/> is called once, after its output so far has been delivered.
    /// Takes ownership of both descriptors.
    /// </summary>
    public void Watch(int pid, int pidFd, int outputFd, Action<string> onLine, Action<ExitNotice> onExit)
    {
        var exitToken = (ulong)Interlocked.Increment(ref _nextToken) << 1;
        var outputToken = exitToken | 1;
        var watch = new Watched(pid, pidFd, outputFd, onLine, onExit);
        _watches[exitToken] = watch;
        _watches[outputToken] = watch;
        _epoll.Add(outputFd, outputToken);
        _epoll.Add(pidFd, exitToken);
    }

    private void Loop()
    {
        Span<ulong> ready = stackalloc ulong[64];
        var buffer = new byte[16384];
        while (!_stopping)
        {
            var n = _epoll.Wait(ready, -1);
            for (var i = 0; i < n; i++)
            {
                if (!_watches.TryGetValue(ready[i], out var watch))
                {
                    continue;
                }

                if ((ready[i] & 1) == 1)
                {
                    Drain(watch, buffer, ready[i]);
                }
                else
                {
                    _watches.TryRemove(ready[i], out _);
                    _epoll.Remove(watch.PidFd);
                    FileDescriptor.Close(watch.PidFd);
                    Drain(watch, buffer, ready[i] | 1);
                    watch.OnExit(Reap(watch.Pid));
                }
            }
        }
    }

    private static ExitNotice Reap(int pid)
    {
        try
        {
            return new ExitNotice(ChildProcess.WaitPidExitedNoHang(pid), null);
        }
        catch (PosixException ex)
        {
            // ECHILD: someone else reaped it (the runtime does, as PID 1 or with SIGCHLD ignored).
            return new ExitNotice(null, ex.Message);
        }
    }

    /// <summary>Reads what the pipe holds now; at end of file (every writer gone, grandchildren too) closes it.</summary>
    private void Drain(Watched watch, byte[] buffer, ulong outputToken)
    {
        if (watch.OutputClosed)
        {
            return;
        }

        while (true)
        {
            int n;
            try
            {
                n = Pipe.ReadNonBlocking(watch.OutputFd, buffer);
            }
            catch (PosixException)
            {
                n = 0;
            }

            if (n < 0)
            {
                return;
            }

            if (n == 0)
            {
                watch.Flush();
                watch.OutputClosed = true;
                _watches.TryRemove(outputToken, out _);
                _epoll.Remove(watch.OutputFd);
                FileDescriptor.Close(watch.OutputFd);
                return;
            }

            watch.Append(buffer.AsSpan(0, n));
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _epoll.Wake();
        _thread.Join(TimeSpan.FromSeconds(2));
        foreach (var watch in _watches.Values.Distinct())
        {
            FileDescriptor.Close(watch.PidFd);
            if (!watch.OutputClosed)
            {
                FileDescriptor.Close(watch.OutputFd);
            }
        }

        _epoll.Dispose();
    }

    private sealed class Watched(int pid, int pidFd, int outputFd, Action<string> onLine, Action<ExitNotice> onExit)
    {
        private readonly List<byte> _partial = [];

        public int Pid { get; } = pid;

        public int PidFd { get; } = pidFd;

        public int OutputFd { get; } = outputFd;

        public bool OutputClosed { get; set; }

        public Action<ExitNotice> OnExit { get; } = onExit;

        public void Append(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                var newline = data.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _partial.AddRange(data);
                    if (_partial.Count >= MaxLine)
                    {
                        Flush();
                    }

                    return;
                }

                _partial.AddRange(data[..newline]);
                Flush();
                data = data[(newline + 1)..];
            }
        }

        public void Flush()
        {
            if (_partial.Count == 0)
            {
                return;
            }

            var line = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_partial)).TrimEnd('\r');
            _partial.Clear();
            try
            {
                onLine(line);
            }
            catch (Exception)
            {
                // Logging must never stop the watcher.
            }
        }
    }
}
