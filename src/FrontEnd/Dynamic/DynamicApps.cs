using System.Collections.Concurrent;
using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// The web side of dynamic apps: the apps seen so far (by path), the queue to the PM (C records in batches), the watcher on the dynamic
/// socket directory, and each root's policy StartDelay (read from its settings; no policy is made here).
/// </summary>
public sealed class DynamicApps : IAsyncDisposable
{
    private readonly PmConfig _config;
    private readonly WebLog _log;
    private readonly ConcurrentDictionary<string, DynamicApp> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<DynamicRootConfig, TimeSpan> _startDelays = [];
    private readonly Lazy<QueueWriter> _queue;
    private readonly CompletionBatch _completions;
    private readonly Lock _sync = new();
    private SocketAppearance? _appearance;

    public DynamicApps(PmConfig config, TimeProvider time, WebLog log)
    {
        _config = config;
        _log = log;
        Time = time;
        Uid = Posix.Identity.EffectiveUserId;
        Gid = Posix.Identity.EffectiveGroupId;
        foreach (var root in config.DynamicRoots)
        {
            _startDelays[root] = root.Policy.StartDelay;
        }

        _queue = new Lazy<QueueWriter>(() => QueueWriter.Open(config.IpcDir, new QueueWriterOptions
        {
            TimeProvider = time,
            Failed = failure => log.Write($"queue: {failure.Message}"),
        }));
        _completions = new CompletionBatch(time, (records, count) => _queue.Value.WriteEncoded(records, count));
    }

    internal TimeProvider Time { get; }

    internal uint Uid { get; }

    internal uint Gid { get; }

    internal string IpcDir => _config.IpcDir;

    /// <summary>The watcher on dynamic/, made on first need; null while the directory does not exist (no PM yet).</summary>
    internal SocketAppearance? Appearance
    {
        get
        {
            lock (_sync)
            {
                if (_appearance is null)
                {
                    var directory = IpcLayout.DynamicDirectory(_config.IpcDir);
                    try
                    {
                        _appearance = new SocketAppearance(directory);
                    }
                    catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
                    {
                        return null;
                    }
                }

                return _appearance;
            }
        }
    }

    internal DynamicApp Get(DynamicScript script)
    {
        if (_apps.TryGetValue(script.AppPath, out var app))
        {
            return app;
        }

        var address = AppAddress.Unix(IpcLayout.DynamicSocket(_config.IpcDir, script.AppPath));
        var backend = new AppBackend(script.AppPath, address, script.Root.Request ?? _config.Dynamic.Request, null, null, _config.IpcDir, Time, _log);
        var created = new DynamicApp(this, script.Root, script.AppPath, backend, _startDelays[script.Root]);
        app = _apps.GetOrAdd(script.AppPath, created);
        if (!ReferenceEquals(app, created))
        {
            _ = created.DisposeAsync().AsTask();
        }

        return app;
    }

    internal void Send(in QueueRecord record) => _queue.Value.Write(record);

    /// <summary>A C record: sent with the others of the next few milliseconds (<see cref="CompletionBatch"/>).</summary>
    internal void SendCompleted(in QueueRecord record) => _completions.Add(record);

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps.Values)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }

        _apps.Clear();
        lock (_sync)
        {
            _appearance?.Dispose();
            _appearance = null;
        }

        _completions.Dispose();
        if (_queue.IsValueCreated)
        {
            _queue.Value.Dispose();
        }
    }
}
