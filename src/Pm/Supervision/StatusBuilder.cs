using Pm.Config;
using Pm.Posix;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// Builds the <see cref="StatusReport"/> that `pm status` and the status page show, from the supervisor's state:
/// the static apps and web processes, the dynamic apps' part (given, in the dynamic-app manager's words), and the
/// external apps from the config. Runs on the supervisor loop only, so it reads the state as one moment.
/// </summary>
public sealed class StatusBuilder(PmConfig config, IReadOnlyList<StaticApp> apps, DateTimeOffset startedAt, LoopGuard loop)
{
    /// <summary>The config the PM runs now (a reload replaces it).</summary>
    public PmConfig Config { get; set; } = config;

    private readonly Scoreboards _scoreboards = new(config.IpcDir);

    /// <summary>
    /// The report at <paramref name="now"/>; the caller refreshes the kernel's view of the instances first. The web
    /// processes' scoreboards add each app's requests, in flight and histograms, and the request each instance holds;
    /// <paramref name="findDynamic"/> finds a dynamic app's instances for that.
    /// </summary>
    public StatusReport Build(DateTimeOffset now, IEnumerable<AppStatus> dynamicApps, Func<string, SupervisedApp?>? findDynamic = null)
    {
        loop.AssertOnLoop();
        var statuses = new List<AppStatus>();
        foreach (var app in apps)
        {
            var next = app.Slots.Where(s => s.StartAt is not null).Select(s => s.StartAt).Min();
            statuses.Add(new AppStatus(app.Name, app.Kind, app.Socket.Address.ToString(), app.Url, app.ActiveSlots.Count(),
                app.Restarts, app.ConsecutiveFailures, next, app.LastDecision, Report(app.LastExit), app.RequestsCompleted,
                Instances(app)) { LastKill = Kill(app.LastKill), History = app.History.Report(now) });
        }

        statuses.AddRange(dynamicApps);
        foreach (var ext in Config.ExternalApps)
        {
            statuses.Add(new AppStatus(ext.Path, "external", ext.Address.ToString(), ext.UrlPrefix, 0, 0, 0, null, null, null, null, []));
        }

        var (scores, inFlight) = _scoreboards.Read();
        SupervisedApp? Find(string name) => apps.FirstOrDefault(a => a.Name == name) ?? findDynamic?.Invoke(name);
        var held = HeldRequests.Find(inFlight, Find);
        for (var i = 0; i < statuses.Count; i++)
        {
            statuses[i] = Measured(statuses[i], scores, held, Find(statuses[i].Name));
        }

        return new StatusReport(Hosting.Watchdog.UserPid, startedAt, now, Config.IpcDir, Config.SourceFile, statuses)
        {
            CpuSeconds = Environment.CpuUsage.TotalTime.TotalSeconds,
            RssBytes = Environment.WorkingSet,
        };
    }

    /// <summary>What the web processes measured of the app, its accept queue, and the request each of its instances holds.</summary>
    private static AppStatus Measured(AppStatus status, IReadOnlyDictionary<string, Scoreboard.AppScores> scores, IReadOnlyDictionary<int, HeldRequest> held, SupervisedApp? app)
    {
        if (status.Kind != "web" && scores.TryGetValue(status.Name, out var s))
        {
            status = status with
            {
                Requests = s.Requests,
                InFlight = (int)s.InFlight,
                QueueWait = HistogramReport.FromBuckets(Scoreboard.ScoreboardLayout.BucketBounds, s.QueueWaitBuckets, s.QueueWaitNanoseconds / 1e9),
                ServiceTime = HistogramReport.FromBuckets(Scoreboard.ScoreboardLayout.BucketBounds, s.ServiceBuckets, s.ServiceNanoseconds / 1e9),
            };
        }

        if (app is not null)
        {
            status = status with
            {
                SlowRequests = app.SlowRequests,
                Spawns = new Dictionary<string, long>(app.Spawns),
                Kills = new Dictionary<string, long>(app.Kills),
                Decisions = app.Kind == "dynamic" ? new Dictionary<string, long>(app.Decisions) : null,
            };
        }

        if (app is not null && app.Socket.BoundName is not null)
        {
            status = status with { AcceptQueue = app.QueuedConnections, AcceptQueueMax = app.QueuedConnectionsMax };
        }

        if (held.Count > 0 && status.Instances.Any(i => held.ContainsKey(i.Pid)))
        {
            status = status with { Instances = status.Instances.Select(i => held.TryGetValue(i.Pid, out var r) ? i with { Request = r } : i).ToList() };
        }

        return status;
    }

    /// <summary>starting, idle, busy (holds a request) or stopping; read from the kernel (socket table, /proc/PID/syscall).</summary>
    public static string StateName(Instance i) =>
        i.State == InstancePhase.Stopping ? "stopping" : i.HoldsRequest ? "busy" : i.Ready ? "idle" : "starting";

    public static KillReport? Kill(KillRecord? k) => k is null ? null : new KillReport(k.Pid, k.At, k.Reason, k.Diagnosis);

    private static ExitStatusReport? Report(ExitRecord? e) => e is null ? null : new ExitStatusReport(e.Pid, e.At, e.How, e.Lifetime.TotalSeconds);

    private static List<InstanceStatus> Instances(SupervisedApp app) => app.Instances.Select(Instance).ToList();

    /// <summary>One instance as status shows it (static and dynamic apps alike).</summary>
    public static InstanceStatus Instance(Instance i) => new(i.Id, i.Pid, StateName(i), i.StartedAt, i.App.Kind == "web" ? null : i.Requests, i.Slot)
    {
        RequestLimit = i.RequestLimit > 0 ? i.RequestLimit : null,
        BusySince = i.HoldsRequest ? i.StateSince : null,
        RssBytes = i.Memory?.RssBytes,
        PssBytes = i.Memory?.PssBytes,
        PrivateBytes = i.Memory?.PrivateBytes,
        MemorySampledAt = i.MemoryAt,
        CpuSeconds = i.Cpu?.TotalSeconds,
        CpuPercent = i.CpuShare * 100,
        Note = i.StopReason ?? (i.RecycleReason is { } why ? "recycling: " + why : null),
    };
}
