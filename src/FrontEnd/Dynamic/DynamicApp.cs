using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// One dynamic app as a web process knows it: its socket (IpcLayout.DynamicSocket), its connection pool, the
/// start that concurrent first requests share, and the last binary change reported (-autoUpdate).
/// </summary>
internal sealed class DynamicApp : IAsyncDisposable
{
    private readonly DynamicApps _owner;
    private readonly Lock _sync = new();
    private Task? _starting;
    private long _reportedChange;
    private bool _answering;

    public DynamicApp(DynamicApps owner, DynamicRootConfig root, string appPath, AppBackend backend, TimeSpan startDelay)
    {
        _owner = owner;
        Root = root;
        AppPath = appPath;
        Backend = backend;
        StartDelay = startDelay;
        SocketPath = backend.Address.SocketPath!;
        SocketName = Path.GetFileName(SocketPath);
    }

    public DynamicRootConfig Root { get; }

    public string AppPath { get; }

    public AppBackend Backend { get; }

    public string SocketPath { get; }

    public string SocketName { get; }

    /// <summary>The root policy's StartDelay: how often a request still waiting for its first byte sends a T record.</summary>
    public TimeSpan StartDelay { get; }

    /// <summary>
    /// Whether the app answered a request since it was last found unreachable: while it does, requests connect without
    /// first looking for its socket file (a stat per request). A cold request that finds it gone clears it.
    /// </summary>
    public bool Answering => Volatile.Read(ref _answering);

    /// <summary>A request got its first byte: the app is up.</summary>
    public void MarkAnswering()
    {
        // Read first: a busy app's requests would otherwise all write the same shared field.
        if (!Volatile.Read(ref _answering))
        {
            Volatile.Write(ref _answering, true);
        }
    }

    /// <summary>A connect found no socket or no listener: look for the socket again before the next connect.</summary>
    public void MarkUnreachable() => Volatile.Write(ref _answering, false);

    /// <summary>
    /// Asks the PM to start the app (one S record however many requests ask at once) and returns what completes when
    /// its socket appears. <paramref name="refused"/>: a socket file is there but nothing listens, so only a new
    /// socket counts; otherwise an existing one completes the wait at once, without a record.
    /// </summary>
    public Task Start(bool refused)
    {
        lock (_sync)
        {
            if (_starting is { IsCompleted: false } pending)
            {
                return pending;
            }

            var appearance = _owner.Appearance;
            if (appearance is null)
            {
                return Task.FromException(new IOException($"the dynamic socket directory {IpcLayout.DynamicDirectory(_owner.IpcDir)} does not exist (is the PM running?)"));
            }

            var next = appearance.Next(SocketName);
            if (!refused && File.Exists(SocketPath))
            {
                return Task.CompletedTask;
            }

            _owner.Send(QueueRecord.Start(AppPath, _owner.Uid, _owner.Gid, _owner.Time.GetUtcNow()));
            _starting = next;
            return next;
        }
    }

    /// <summary>
    /// With -autoUpdate: an R record when the app's file is newer than its socket (the PM made the socket when it
    /// started the app), once per change. Two stat calls per request to the app, paid only with -autoUpdate.
    /// </summary>
    public void CheckBinaryChanged()
    {
        try
        {
            var binary = File.GetLastWriteTimeUtc(AppPath);
            var socket = File.GetLastWriteTimeUtc(SocketPath);
            if (socket.Year > 1601 && binary > socket && binary.Ticks != Interlocked.Exchange(ref _reportedChange, binary.Ticks))
            {
                _owner.Send(QueueRecord.BinaryChanged(AppPath, _owner.Uid, _owner.Gid, _owner.Time.GetUtcNow()));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone or unreadable now: the next request looks again.
        }
    }

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}
