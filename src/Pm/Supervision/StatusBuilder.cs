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

    /// <summary>The report at <paramref name="now"/>; the caller refreshes the kernel's view of the instances first.</summary>
    public StatusReport Build(DateTimeOffset now, IEnumerable<AppStatus> dynamicApps)
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

        return new StatusReport(Hosting.Watchdog.UserPid, startedAt, now, Config.IpcDir, Config.SourceFile, statuses);
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
