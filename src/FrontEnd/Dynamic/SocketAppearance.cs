using System.Collections.Concurrent;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// Waits for dynamic-app sockets to appear in the IPC dir's dynamic/ directory, by inotify (FileSystemWatcher),
/// never by polling. The PM binds a socket under a temporary name and renames it into place once it listens, so
/// the event for the final name means a connect will be accepted. One watcher per web process, made on first use.
/// </summary>
internal sealed class SocketAppearance : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);

    public SocketAppearance(string directory)
    {
        Directory = directory;
        _watcher = new FileSystemWatcher(directory)
        {
            NotifyFilter = NotifyFilters.FileName,
            IncludeSubdirectories = false,
        };
        _watcher.Created += (_, e) => Appeared(e.Name);
        _watcher.Renamed += (_, e) => Appeared(e.Name);
        _watcher.Error += (_, _) => WakeAll();
        _watcher.EnableRaisingEvents = true;
    }

    public string Directory { get; }

    /// <summary>
    /// A task that completes when a socket named <paramref name="name"/> is created or renamed into the directory
    /// (from now on: the caller checks for an existing one after this). Callers waiting for one name share it.
    /// </summary>
    public Task Next(string name) =>
        _waiting.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Dispose()
    {
        _watcher.Dispose();
        WakeAll();
    }

    private void Appeared(string? name)
    {
        if (name is not null && _waiting.TryRemove(name, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    // Lost events (inotify queue overflow) or the end: every waiter looks again for itself.
    private void WakeAll()
    {
        foreach (var name in _waiting.Keys)
        {
            Appeared(name);
        }
    }
}
