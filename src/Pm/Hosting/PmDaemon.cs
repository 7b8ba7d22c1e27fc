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

    /// <summary>The HTTP and dispatcher listening sockets, let go of when the shutdown begins (<see cref="CloseFrontSockets"/>).</summary>
    private readonly List<ListenSocket> _frontSockets = [];

    private readonly DaemonMode _mode;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly SystemdNotifier _systemd;
    private readonly CancellationTokenSource _stopping = new();
    private PmConfig _running;

    public PmDaemon(PmConfig config, DaemonMode mode, ILoggerFactory loggers, TimeProvider time, IHostApplicationLifetime? lifetime = null)
    {
        _config = config;
        _running = config;
        _lifetime = lifetime;
        _mode = mode;
        _loggers = loggers;
        _log = loggers.CreateLogger("pm");
        _systemd = new SystemdNotifier(m => _log.LogWarning("{Problem}", m));
        _time = time;
    }

    public Supervisor? Supervisor => _supervisor;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Pid1Guard.Check();
        _ipc = IpcDirectory.Prepare(_config.Ipc,
            DirectoryAccess.ForIpcDir(_config, Identity.EffectiveUserId, Identity.EffectiveGroupId),
            DirectoryAccess.ForDynamicDir(_config, Identity.EffectiveUserId, Identity.EffectiveGroupId));
        foreach (var line in _ipc.Report)
        {
            _log.LogInformation("{Line}", line);
        }

        CrashLeftovers.Stop(_config.IpcDir, _log);
        _registry = new InstanceRegistry(InstanceRegistry.PathIn(_config.IpcDir));
        Subreaper.Enable();
        _watcher = new ChildWatcher();
        var apps = new List<StaticApp>();
        foreach (var app in _config.StaticApps)
        {
            apps.Add(Build(app, Listen(app)));
        }

        if (_mode.ServeHttp)
        {
            apps.Add(WebProcesses());
        }

        _supervisor = new Supervisor(_config, apps, new PosixSpawner(), _watcher, _time, Random.Shared, _loggers,
            (lifecycle, loopTime, log) => new DynamicAppManager(_config, lifecycle, loopTime, Random.Shared, log),
            new Diagnosis.ProcDiagnoser(_time), _registry) { ShutdownBegun = CloseFrontSockets };
        _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => _supervisor.NotifyChildSignal());
        _supervisor.Start();
        var reader = Queue.QueuePump.OpenReader(_config.IpcDir, _config.QueueGroup is { } g ? UserDatabase.FindGroup(g)?.Gid : null, _log);
        var trace = _mode.TraceFile is { } file ? Pm.Engine.TraceWriter.Create(file) : null;
        _queue = new Queue.QueuePump(reader, _supervisor, _log, trace);
        if (trace is not null)
        {
            _log.LogInformation("recording completed requests as a trace in {File}", Path.GetFullPath(_mode.TraceFile!));
        }

        _control = new ControlServer(IpcLayout.ControlSocket(_config.IpcDir), _supervisor.QueryStatusAsync, _log, OnCommandAsync);
        if (_systemd.Active)
        {
            _ = Task.Run(() => NotifyReadyAsync(_stopping.Token));
            if (_systemd.WatchdogInterval is { } interval)
            {
                _ = Task.Run(() => FeedWatchdogAsync(interval, _stopping.Token));
            }
        }
        _log.LogInformation("pm {Pid} running {Config}: {Static} static apps, {External} external apps, IPC dir {Ipc}",
            Identity.ProcessId, _config.SourceFile, _config.StaticApps.Count, _config.ExternalApps.Count, _config.IpcDir);
        foreach (var ext in _config.ExternalApps)
        {
            _log.LogInformation("external app {App} at {Address} (not started by the PM)", ext.Path, ext.Address);
        }

        // What `pm check-config` prints beside the URL map: a pasted Apache line passed over, an app nothing reaches.
        foreach (var notice in _config.Notices)
        {
            _log.LogInformation("config notice: {Notice}", notice);
        }

        // The warnings are about what pm serve routes; under pm run a web server of its own reaches the sockets.
        foreach (var warning in _mode.ServeHttp ? ConfigWarnings.Of(_config) : [])
        {
            _log.LogWarning("config warning: {Warning}", warning);
        }

        return Task.CompletedTask;
    }

    /// <summary>Opens a static app's socket (shared by all its instances).</summary>
    private ListenSocket Listen(StaticAppConfig app)
    {
        ListenSocket socket;
        try
        {
            socket = ListenSocket.Open(app.Address, app.ListenQueueDepth, app.Access);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            throw new IOException($"app {app.Path} ({app.Source}): cannot listen on {app.Address}: {ex.Message}", ex);
        }

        _sockets.Add(socket);
        if (app.Access != SocketAccess.Private)
        {
            _log.LogInformation("app {App}: socket {Socket}, {Access}", app.Path, app.Address, app.Access);
        }

        return socket;
    }

    private static SpawnSpec SpecOf(StaticAppConfig app, ListenSocket socket, string? wrapper) =>
        new(app.Path, app.Path, app.Arguments, app.Environment, app.WorkingDirectory, socket.Descriptor, app.Priority, app.RunAs, wrapper) { CountsRequests = true };

    private static RestartOptions RestartOf(StaticAppConfig app) => new(app.InitStartDelay, app.RestartDelay, app.MinServerLife, app.BackoffMax);

    private static bool Timed(StaticAppConfig app) => app.Request.RequestTimeout is not null || app.Request.SlowLog is not null;

    private StaticApp Build(StaticAppConfig app, ListenSocket socket) =>
        new(app.Path, "static", socket, SpecOf(app, socket, _running.Wrapper), app.Processes, RestartOf(app), app.UrlPrefix)
        {
            Limits = app.Limits,
            RequestsTimed = Timed(app),
        };

    /// <summary>
    /// SIGHUP and `pm reload`: re-reads the config. One with errors is refused, each error logged with its file and
    /// line, and nothing changes; so is one that changes what only a restart can (see <see cref="ConfigChanges"/>).
    /// Otherwise the supervisor carries the changes out (<see cref="ReloadRollout"/>). Reloads run one at a time: one
    /// asked for while another runs is queued and reads the config when its turn comes. The answer (for the control
    /// socket) comes once the new config is read: what is refused and why, or what the reload does.
    /// </summary>
    public Task<string> ReloadAsync(string asker)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = _reloadGate.CurrentCount == 0;
        _ = Task.Run(async () =>
        {
            await _reloadGate.WaitAsync().ConfigureAwait(false);
            try
            {
                await ReloadOnceAsync(asker, answer).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "reload ({Asker}) failed; the running apps are as they were", asker);
                answer.TrySetResult("error: " + ex.Message);
            }
            finally
            {
                _reloadGate.Release();
            }
        });
        return queued ? Task.FromResult("queued: a reload is under way; this one reads the config when it has ended") : answer.Task;
    }

    private async Task ReloadOnceAsync(string asker, TaskCompletionSource<string> answer)
    {
        if (_supervisor is null)
        {
            answer.TrySetResult("error: the PM is not running yet");
            return;
        }

        var file = _running.SourceFile;
        _log.LogInformation("reload ({Asker}): reading {Config}", asker, file);
        _systemd.Send("RELOADING=1\n" + SystemdNotifier.Status("reloading " + file));
        try
        {
            await ReloadAndReportAsync(asker, file, answer).ConfigureAwait(false);
        }
        finally
        {
            _systemd.Send("READY=1\n" + SystemdNotifier.Status(await SummaryAsync().ConfigureAwait(false)));
        }
    }

    private async Task ReloadAndReportAsync(string asker, string file, TaskCompletionSource<string> answer)
    {
        var supervisor = _supervisor!;
        PmConfig next;
        try
        {
            next = PmConfig.Load(file);
        }
        catch (ConfigException ex)
        {
            foreach (var error in ex.Errors)
            {
                _log.LogError("reload refused: {Error}", error.ToString());
            }

            _log.LogError("reload refused: {Count} error(s) in {Config}; the running apps are untouched", ex.Errors.Count, file);
            answer.TrySetResult($"error: refused, {ex.Errors.Count} error(s) in {file}, nothing changed: {string.Join("; ", ex.Errors.Select(e => e.ToString()))}");
            return;
        }
        catch (IOException ex)
        {
            _log.LogError("reload refused: cannot read {Config}: {Error}; the running apps are untouched", file, ex.Message);
            answer.TrySetResult($"error: refused, cannot read {file}: {ex.Message}");
            return;
        }

        var changes = ConfigChanges.Between(_running, next);
        if (changes.NeedsRestart.Count > 0)
        {
            var what = string.Join("; ", changes.NeedsRestart);
            _log.LogError("reload refused: {What} cannot change without a restart of the PM; the running apps are untouched", what);
            answer.TrySetResult($"error: refused, only a restart of the PM can change {what}; nothing changed");
            return;
        }

        if (!changes.Any)
        {
            _log.LogInformation("reload: {Config} is unchanged; nothing to do", file);
            _running = next;
            answer.TrySetResult("unchanged: nothing to do");
            return;
        }

        var added = new List<StaticApp>();
        try
        {
            foreach (var app in changes.Added)
            {
                added.Add(Build(app, Listen(app)));
            }
        }
        catch (IOException ex)
        {
            foreach (var app in added)
            {
                _sockets.Remove(app.Socket);
                app.Socket.Dispose();
            }

            _log.LogError("reload refused: {Error}; the running apps are untouched", ex.Message);
            answer.TrySetResult("error: refused, " + ex.Message);
            return;
        }

        _running = next;
        var running = supervisor.Apps.ToDictionary(a => a.Name, StringComparer.Ordinal);
        var updates = changes.Changed.Where(c => running.ContainsKey(c.New.Path)).Select(c => new AppUpdate(c.New.Path,
            SpecOf(c.New, running[c.New.Path].Socket, next.Wrapper), c.New.Limits, Timed(c.New), RestartOf(c.New), c.New.Processes,
            c.RollsInstances, string.Join(", ", c.What))).ToList();
        var plan = new ReloadPlan(added, changes.Removed.Select(a => a.Path).ToList(), updates,
            _mode.ServeHttp ? next.FrontEnd.Processes : null, _mode.ServeHttp, next);
        var summary = changes.Summary(_mode.ServeHttp);
        _log.LogInformation("reload ({Asker}): {Summary}", asker, summary);
        foreach (var note in changes.NotApplied)
        {
            _log.LogWarning("reload: not applied: {What}", note);
        }

        answer.TrySetResult("reloading: " + summary);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await supervisor.ReloadAsync(plan).ConfigureAwait(false);
        _log.LogInformation("reload ({Asker}): done in {Seconds:0.###} s", asker, clock.Elapsed.TotalSeconds);
    }

    /// <summary>READY=1 for systemd once every static app's instances (and the web processes) wait for work, 60 s at most.</summary>
    private async Task NotifyReadyAsync(CancellationToken stopping)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        try
        {
            while (DateTime.UtcNow < until)
            {
                var report = await _supervisor!.QueryStatusAsync().WaitAsync(stopping).ConfigureAwait(false);
                var apps = report.Apps.Where(a => a.Kind is "static" or "web").ToList();
                if (apps.All(a => a.Instances.Count >= a.DesiredInstances && a.Instances.All(i => i.State != "starting")))
                {
                    break;
                }

                await Task.Delay(50, stopping).ConfigureAwait(false);
            }

            _systemd.Send("READY=1\n" + SystemdNotifier.Status(await SummaryAsync().ConfigureAwait(false)));
        }
        catch (OperationCanceledException)
        {
            // Stopped before every app was ready.
        }
    }

    /// <summary>WATCHDOG=1 at half of WatchdogSec=, each only once the supervisor loop has answered a ping: a stuck loop starves systemd's watchdog.</summary>
    private async Task FeedWatchdogAsync(TimeSpan interval, CancellationToken stopping)
    {
        var half = interval / 2;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await _supervisor!.PingAsync().WaitAsync(half, stopping).ConfigureAwait(false);
                    _systemd.Send("WATCHDOG=1");
                }
                catch (TimeoutException)
                {
                    _log.LogError("systemd watchdog: the supervisor loop has not answered for {Seconds:0.###} s; not feeding the watchdog", half.TotalSeconds);
                }

                await Task.Delay(half, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One line for systemd's STATUS=: apps, instances, how many busy.</summary>
    private async Task<string> SummaryAsync()
    {
        try
        {
            var report = await _supervisor!.QueryStatusAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var apps = report.Apps.Where(a => a.Kind is "static" or "dynamic").ToList();
            var instances = apps.Sum(a => a.Instances.Count);
            var busy = apps.Sum(a => a.Instances.Count(i => i.State == "busy"));
            return $"{apps.Count} app(s), {instances} instance(s), {busy} busy; {_running.SourceFile}";
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return "running; " + _running.SourceFile;
        }
    }

    /// <summary>The control socket's commands other than status.</summary>
    private Task<string> OnCommandAsync(string command)
    {
        if (command == "reload")
        {
            return ReloadAsync("pm reload");
        }

        if (command == "stop")
        {
            _log.LogInformation("pm stop: stopping, as on SIGTERM");
            _lifetime?.StopApplication();
            return Task.FromResult("stopping: every app is stopped and reaped first");
        }

        if (command.StartsWith("restart ", StringComparison.Ordinal) && _supervisor is not null)
        {
            return _supervisor.RestartAppAsync(command["restart ".Length..].Trim());
        }

        return Task.FromResult($"error: unknown command '{command}'");
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
        _frontSockets.Add(socket);
        var dispatch = front.FastCgiListen is { } fastCgi ? DispatchSocket(fastCgi) : null;
        var status = front.StatusListen is { } statusAddress ? ExtraSocket(statusAddress, front.StatusAccess, "PmStatusListen", "the status page and metrics") : null;
        List<(int From, int To)> extra = [];
        if (dispatch is not null)
        {
            extra.Add((dispatch.Descriptor, FrontEnd.Dispatch.DispatchListener.Descriptor));
        }

        if (status is not null)
        {
            extra.Add((status.Descriptor, FrontEnd.Status.StatusListener.Descriptor));
        }

        var (exe, args) = SelfCommand.With("web", _config.SourceFile);
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => !SystemdNotifier.Variables.Contains((string)e.Key))
            .Select(e => $"{e.Key}={e.Value}").ToList();
        foreach (var (name, value) in FrontEnd.Hosting.WebServer.RuntimeEnvironment)
        {
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                env.Add($"{name}={value}");
            }
        }

        var spec = new SpawnSpec("web", exe, args.ToArray(), env, Path.GetDirectoryName(_config.SourceFile) ?? "/",
            socket.Descriptor, 0, null, null)
        {
            CountsRequests = true,
            ExtraDescriptors = extra,
        };
        var restart = new RestartOptions(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        _log.LogInformation("web processes: {Count} serving {Scheme}://{Host}:{Port}/{Protocols}", front.Processes, front.Tls is null ? "http" : "https",
            front.ListenHost, front.ListenPort, front.Tls is null ? "" : front.Tls.Http2 ? " (HTTP/1.1 and HTTP/2)" : " (HTTP/1.1)");
        return new StaticApp("web", "web", socket, spec, front.Processes, restart, "/");
    }

    /// <summary>
    /// The dispatcher's FastCGI socket (PmFastCgiListen), opened here as the HTTP one is, so it outlives every web
    /// process: nginx's connections wait in its backlog while one is replaced. A Unix socket gets its access
    /// (-socket-user/-group/-mode; 0660 by default) before it listens, as an app's socket does.
    /// </summary>
    private ListenSocket DispatchSocket(AppAddress address) =>
        ExtraSocket(address, _config.FrontEnd.FastCgiAccess, "PmFastCgiListen", "FastCGI for the dispatcher");

    /// <summary>A listening socket for every web process besides the HTTP one (PmFastCgiListen, PmStatusListen).</summary>
    private ListenSocket ExtraSocket(AppAddress address, SocketAccess? access, string directive, string what)
    {
        ListenSocket socket;
        try
        {
            socket = ListenSocket.Open(address, 511, access);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            throw new IOException($"cannot listen for {what} on {address} ({directive}): {ex.Message}", ex);
        }

        _sockets.Add(socket);
        _frontSockets.Add(socket);
        _log.LogInformation("web processes: accepting {What} on {Address}", what, address);
        return socket;
    }

    /// <summary>
    /// At the start of a shutdown the PM closes its own copy of the HTTP, dispatcher and status sockets. The web processes keep
    /// theirs while they finish what they hold; once the last has let go, the kernel refuses new connections (and
    /// resets any that queued) at once, so a load balancer moves on to another host at once instead of waiting in a
    /// backlog that nobody will accept from until the PM exits. Nothing is started any more, so no web process is
    /// handed a closed descriptor.
    /// </summary>
    private void CloseFrontSockets()
    {
        foreach (var socket in _frontSockets)
        {
            socket.Dispose();
        }

        if (_frontSockets.Count > 0)
        {
            _log.LogInformation("shutdown: the PM let go of its copy of the front end's listening sockets; once the web processes are gone, the kernel turns new connections away at once");
        }

        _frontSockets.Clear();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _systemd.Send("STOPPING=1\n" + SystemdNotifier.Status("stopping: every app is stopped and reaped first"));
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
        _systemd.Dispose();
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
