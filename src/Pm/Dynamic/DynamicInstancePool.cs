using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Engine;
using Pm.Policy;
using Pm.Spawning;
using Pm.Supervision;
using SupervisedState = Pm.Supervision.InstancePhase;

namespace Pm.Dynamic;

/// <summary>
/// The PM's <see cref="IInstancePool"/>: dynamic apps as real processes. Opening an app checks that its path is a
/// dynamic app under a root (<see cref="DynamicScriptResolver.Check"/>: start records are trusted no further than
/// the config allows, whoever wrote them) and makes its socket; instances start through
/// <see cref="InstanceLifecycle"/> and retire through its one <see cref="InstanceLifecycle.Stop"/>, drained; who is
/// busy, ready or queued comes from the kernel (<see cref="ConnectionProbe"/>). Runs on the supervisor loop only.
/// </summary>
public sealed class DynamicInstancePool(PmConfig config, InstanceLifecycle lifecycle, TimeProvider time, ILogger log) : IInstancePool
{
    private readonly Dictionary<string, OnDemandApp> _apps = new(StringComparer.Ordinal);
    private readonly Posix.CpuMeter _cpu = new();

    /// <summary>The policy group of a dynamic root: one per root, named by where it is mounted and what it serves.</summary>
    public static string GroupName(DynamicRootConfig root) => $"{root.UrlPrefix} {root.Directory}";

    public IReadOnlyCollection<OnDemandApp> Apps => _apps.Values;

    public OnDemandApp? Find(string path) => _apps.GetValueOrDefault(path);

    public int TotalInstances
    {
        get
        {
            var n = 0;
            foreach (var app in _apps.Values)
            {
                n += app.Instances.Count;
            }

            return n;
        }
    }

    public double? CpuIdleShare { get; private set; }

    public int? Cores { get; } = Environment.ProcessorCount;

    public string? Open(string appId)
    {
        if (_apps.TryGetValue(appId, out var open))
        {
            return open.Group;
        }

        var check = DynamicScriptResolver.Check(config.DynamicRoots, appId);
        if (check.Script is not { } script)
        {
            log.LogWarning("refusing to start {Path}: {Problem}", appId, check.Problem);
            return null;
        }

        var address = AppAddress.Unix(IpcLayout.DynamicSocket(config.IpcDir, appId));
        ListenSocket socket;
        try
        {
            socket = ListenSocket.Open(address, config.Dynamic.ListenQueueDepth, script.Root.Access ?? config.Dynamic.Access);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            log.LogError("dynamic app {Path}: cannot listen on {Socket}: {Error}", appId, address, ex.Message);
            return null;
        }

        var spec = new SpawnSpec(appId, appId, [], config.Dynamic.Environment, Path.GetDirectoryName(appId) ?? "/",
            socket.Descriptor, 0, null, config.Wrapper) { CountsRequests = true };
        var group = GroupName(script.Root);
        var request = script.Root.Request ?? config.Dynamic.Request;
        _apps[appId] = new OnDemandApp(script, group, socket, spec)
        {
            Limits = config.Dynamic.Limits with { Recycle = script.Root.Recycle ?? config.Dynamic.Limits.Recycle },
            RequestsTimed = request.RequestTimeout is not null || request.SlowLog is not null,
        };
        log.LogInformation("dynamic app {Path}: created under root {Url}, policy {Policy}, socket {Socket}",
            appId, script.Root.UrlPrefix, script.Root.Policy.Name, address);
        return group;
    }

    public void Release(string appId)
    {
        if (_apps.Remove(appId, out var app))
        {
            app.Socket.Dispose();
            log.LogInformation("dynamic app {Path}: no instances left; socket removed until the next request", appId);
        }
    }

    /// <summary>After every instance is gone (shutdown): every socket.</summary>
    public void ReleaseAll()
    {
        foreach (var app in _apps.Values)
        {
            app.Socket.Dispose();
        }

        _apps.Clear();
    }

    public void Refresh(IReadOnlyCollection<string> appIds, DateTimeOffset now)
    {
        var apps = new List<SupervisedApp>(appIds.Count);
        foreach (var id in appIds)
        {
            if (_apps.TryGetValue(id, out var app))
            {
                apps.Add(app);
            }
        }

        ConnectionProbe.Refresh(apps, now);
        CpuIdleShare = _cpu.IdleShare(now);
    }

    public AppView View(string appId, int pendingStarts, DateTimeOffset now)
    {
        var app = _apps[appId];
        var instances = new List<InstanceView>(app.Instances.Count);
        foreach (var i in app.Instances)
        {
            var state = i.State == SupervisedState.Stopping ? Policy.InstanceState.Retiring
                : i.HoldsRequest ? Policy.InstanceState.Busy
                : !i.Ready ? Policy.InstanceState.Starting
                : Policy.InstanceState.Idle;
            instances.Add(new InstanceView(i.Id, state, i.StartedAt, i.StateSince, i.HoldsRequest, 0));
        }

        return new AppView(app.Name, instances, pendingStarts, app.QueuedConnections);
    }

    public int InstanceCount(string appId) => _apps.TryGetValue(appId, out var app) ? app.Instances.Count : 0;

    public int QueuedConnections(string appId) => _apps.TryGetValue(appId, out var app) ? app.QueuedConnections : 0;

    public int FreeInstances(string appId) =>
        _apps.TryGetValue(appId, out var app) ? app.Instances.Count(i => i.State == SupervisedState.Running && !i.HoldsRequest) : 0;

    public long? Start(string appId, string reason, out string? error)
    {
        var app = _apps[appId];
        var instance = lifecycle.Start(app, -1, reason, ReasonKind.Policy, out error);
        if (instance is null)
        {
            var now = time.GetUtcNow();
            app.LastExit = new ExitRecord(0, now, $"start failed ({error})", TimeSpan.Zero);
            return null;
        }

        return instance.Id;
    }

    public bool Retire(string appId, long instanceId, string reason)
    {
        if (!_apps.TryGetValue(appId, out var app) || app.Instances.FirstOrDefault(i => i.Id == instanceId) is not { } victim
            || victim.State != SupervisedState.Running)
        {
            return false;
        }

        lifecycle.Stop(victim, config.ShutdownTimeout, reason, ReasonKind.Policy, drainFor: config.Dynamic.Request.IdleTimeout);
        return true;
    }
}
