using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Control;
using Pm.Dynamic;
using Pm.Policy.Restart;
using Pm.Posix;
using Pm.Spawning;
using Pm.Supervision;

namespace Pm.Hosting;

/// <summary>
/// The PM as a hosted service. Start: refuse as PID 1, prepare and lock the IPC dir, become a subreaper, open
/// every app's socket, start the instances, open the control socket. Stop (SIGTERM/SIGINT via the host's
/// console lifetime): the supervisor's shutdown, then the control socket and the lock.
/// </summary>
public sealed class PmDaemon : IHostedService, IAsyncDisposable
{
    private readonly PmConfig _config;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private IpcDirectory? _ipc;
    private InstanceRegistry? _registry;
    private ChildWatcher? _watcher;
    private Supervisor? _supervisor;
    private ControlServer? _control;
    private PosixSignalRegistration? _sigchld;
    private Queue.QueuePump? _queue;
    private readonly List<ListenSocket> _sockets = [];

    private readonly DaemonMode _mode;

    public PmDaemon(PmConfig config, DaemonMode mode, ILoggerFactory loggers, TimeProvider time)
    {
        _config = config;
        _mode = mode;
        _loggers = loggers;
        _log = loggers.CreateLogger("pm");
        _time = time;
    }

    public Supervisor? Supervisor => _supervisor;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Pid1Guard.Check();
        _ipc = IpcDirectory.Prepare(_config.IpcDir);
        CrashLeftovers.Stop(_config.IpcDir, _log);
        _registry = new InstanceRegistry(InstanceRegistry.PathIn(_config.IpcDir));
        Subreaper.Enable();
        _watcher = new ChildWatcher();
        var apps = new List<StaticApp>();
        foreach (var app in _config.StaticApps)
        {
            ListenSocket socket;
            try
            {
                socket = ListenSocket.Open(app.Address, app.ListenQueueDepth);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                throw new IOException($"app {app.Path} ({app.Source}): cannot listen on {app.Address}: {ex.Message}", ex);
            }

            _sockets.Add(socket);
            apps.Add(new StaticApp(app.Path, "static", socket, new SpawnSpec(app.Path, app.Path, app.Arguments, app.Environment,
                    app.WorkingDirectory, socket.Descriptor, app.Priority, app.RunAs, _config.Wrapper) { CountsRequests = true },
                app.Processes, new RestartOptions(app.InitStartDelay, app.RestartDelay, app.MinServerLife, app.BackoffMax), app.UrlPrefix)
            {
                Limits = app.Limits,
                RequestsTimed = app.Request.RequestTimeout is not null || app.Request.SlowLog is not null,
            });
        }

        if (_mode.ServeHttp)
        {
            apps.Add(WebProcesses());
        }

        _supervisor = new Supervisor(_config, apps, new PosixSpawner(), _watcher, _time, Random.Shared, _loggers,
            (lifecycle, loopTime, log) => new DynamicAppManager(_config, lifecycle, loopTime, Random.Shared, log),
            new Diagnosis.ProcDiagnoser(_time), _registry);
        _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => _supervisor.NotifyChildSignal());
        _supervisor.Start();
        var reader = Queue.QueuePump.OpenReader(_config.IpcDir, _config.QueueGroup is { } g ? UserDatabase.FindGroup(g)?.Gid : null, _log);
        var trace = _mode.TraceFile is { } file ? Pm.Engine.TraceWriter.Create(file) : null;
        _queue = new Queue.QueuePump(reader, _supervisor, _log, trace);
        if (trace is not null)
        {
            _log.LogInformation("recording completed requests as a trace in {File}", Path.GetFullPath(_mode.TraceFile!));
        }

        _control = new ControlServer(IpcLayout.ControlSocket(_config.IpcDir), _supervisor.QueryStatusAsync, _log);
        _log.LogInformation("pm {Pid} running {Config}: {Static} static apps, {External} external apps, IPC dir {Ipc}",
            Identity.ProcessId, _config.SourceFile, _config.StaticApps.Count, _config.ExternalApps.Count, _config.IpcDir);
        foreach (var ext in _config.ExternalApps)
        {
            _log.LogInformation("external app {App} at {Address} (not started by the PM)", ext.Path, ext.Address);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The web processes: `pm web CONFIG`, -processes N of them, sharing the HTTP listening socket the PM opens
    /// and hands each on fd 0, supervised and restarted like any static app. They get the PM's environment.
    /// </summary>
    private StaticApp WebProcesses()
    {
        var front = _config.FrontEnd;
        ListenSocket socket;
        try
        {
            socket = ListenSocket.Open(AppAddress.Tcp(front.ListenHost, front.ListenPort), 511);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            throw new IOException($"cannot listen for HTTP on {front.ListenHost}:{front.ListenPort}: {ex.Message}", ex);
        }

        _sockets.Add(socket);
        var (exe, args) = SelfCommand.With("web", _config.SourceFile);
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToList();
        var spec = new SpawnSpec("web", exe, args.ToArray(), env, Path.GetDirectoryName(_config.SourceFile) ?? "/",
            socket.Descriptor, 0, null, null);
        var restart = new RestartOptions(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        _log.LogInformation("web processes: {Count} serving http://{Host}:{Port}/", front.Processes, front.ListenHost, front.ListenPort);
        return new StaticApp("web", "web", socket, spec, front.Processes, restart, "/");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null)
        {
            await _queue.DisposeAsync().ConfigureAwait(false);
            _queue = null;
        }

        if (_supervisor is not null)
        {
            await _supervisor.ShutdownAsync().ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
            _control = null;
        }

        _sigchld?.Dispose();
        _sigchld = null;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
        _watcher?.Dispose();
        _watcher = null;
        _registry?.Dispose();
        _registry = null;
        _ipc?.Dispose();
        _ipc = null;
    }
}
