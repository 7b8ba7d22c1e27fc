namespace Pm.Config;

/// <summary>
/// What a reload would change (SIGHUP, `pm reload`): the running config against the one just read. Static apps are
/// matched by their path: added, removed, changed, or untouched. A changed app's instances are rolled over only when
/// something they run with changed (command line, environment, user, priority, limits, FastCgiWrapper); a change of
/// -processes alone adds or retires instances, and a change the web processes alone see (-url, -idle-timeout,
/// -pass-header, -request-timeout...) only rolls the web processes, which read the config themselves. What a reload
/// cannot change is <see cref="NeedsRestart"/>: with any of it the reload is refused and nothing is touched.
/// </summary>
public sealed record ConfigChanges(
    IReadOnlyList<StaticAppConfig> Added,
    IReadOnlyList<StaticAppConfig> Removed,
    IReadOnlyList<AppChange> Changed,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> NeedsRestart,
    IReadOnlyList<string> NotApplied,
    bool WebChanged)
{
    /// <summary>Whether anything at all differs, so the web processes (which read the config) are rolled.</summary>
    public bool Any => Added.Count > 0 || Removed.Count > 0 || Changed.Count > 0 || WebChanged;

    public static ConfigChanges Between(PmConfig running, PmConfig next)
    {
        var restart = new List<string>();
        if (running.IpcDir != next.IpcDir)
        {
            restart.Add($"FastCgiIpcDir {running.IpcDir} -> {next.IpcDir}");
        }

        if (running.FrontEnd.ListenHost != next.FrontEnd.ListenHost || running.FrontEnd.ListenPort != next.FrontEnd.ListenPort)
        {
            restart.Add($"the HTTP address {running.FrontEnd.ListenHost}:{running.FrontEnd.ListenPort} -> {next.FrontEnd.ListenHost}:{next.FrontEnd.ListenPort}");
        }

        if (running.FrontEnd.FastCgiListen != next.FrontEnd.FastCgiListen || running.FrontEnd.FastCgiAccess != next.FrontEnd.FastCgiAccess)
        {
            restart.Add($"PmFastCgiListen {running.FrontEnd.FastCgiListen?.ToString() ?? "(none)"} -> {next.FrontEnd.FastCgiListen?.ToString() ?? "(none)"}");
        }

        // Refused: the PM owns the socket for every web process, as the HTTP and FastCGI ones; rebinding is a restart.
        if (running.FrontEnd.StatusListen != next.FrontEnd.StatusListen || running.FrontEnd.StatusAccess != next.FrontEnd.StatusAccess)
        {
            restart.Add($"PmStatusListen {running.FrontEnd.StatusListen?.ToString() ?? "(none)"} -> {next.FrontEnd.StatusListen?.ToString() ?? "(none)"}");
        }

        // Refused rather than applied: switching files mid-reload could fail after the rest of the reload was applied,
        // and a reload is all or nothing. SIGUSR1 reopens the same path, which is what log rotation needs.
        if (running.LogFile != next.LogFile)
        {
            restart.Add($"PmLogFile {running.LogFile ?? "(none)"} -> {next.LogFile ?? "(none)"}");
        }

        if (running.QueueGroup != next.QueueGroup)
        {
            restart.Add("the queue's group");
        }

        // The IPC dir's mode is set once, when the PM prepares it; a socket's owner and mode when it is bound, and an
        // app whose address stays keeps its socket.
        var pmUser = Posix.Identity.EffectiveUserId;
        var pmGroup = Posix.Identity.EffectiveGroupId;
        if (!DirectoryAccess.ForIpcDir(running, pmUser, pmGroup).SameAs(DirectoryAccess.ForIpcDir(next, pmUser, pmGroup)) ||
            !DirectoryAccess.ForDynamicDir(running, pmUser, pmGroup).SameAs(DirectoryAccess.ForDynamicDir(next, pmUser, pmGroup)))
        {
            restart.Add($"the IPC dir's access ({DirectoryAccess.ForIpcDir(next, pmUser, pmGroup)})");
        }

        foreach (var app in next.StaticApps)
        {
            if (running.StaticApps.FirstOrDefault(a => a.Path == app.Path) is { } old && old.Address == app.Address && old.Access != app.Access)
            {
                restart.Add($"the socket access of {app.Path} ({old.Access} -> {app.Access})");
            }
        }

        var wrapperChanged = running.Wrapper != next.Wrapper;
        var before = running.StaticApps.ToDictionary(a => a.Path, StringComparer.Ordinal);
        var after = next.StaticApps.ToDictionary(a => a.Path, StringComparer.Ordinal);
        var added = new List<StaticAppConfig>();
        var removed = new List<StaticAppConfig>();
        var changed = new List<AppChange>();
        var unchanged = new List<string>();
        var routing = false;
        foreach (var app in next.StaticApps)
        {
            if (!before.TryGetValue(app.Path, out var old) || old.Address != app.Address)
            {
                added.Add(app);
                if (old is not null)
                {
                    removed.Add(old); // a new socket: the old app drains from its own while the new one starts
                }

                continue;
            }

            var change = AppChange.Between(old, app, wrapperChanged);
            if (change is null)
            {
                unchanged.Add(app.Path);
            }
            else if (change.RollsInstances || change.ProcessesChanged || change.RestartChanged)
            {
                changed.Add(change);
            }
            else
            {
                unchanged.Add(app.Path); // only what the web processes read changed
            }

            routing |= change is { RoutingChanged: true };
        }

        removed.AddRange(running.StaticApps.Where(a => !after.ContainsKey(a.Path)));
        var notApplied = new List<string>();
        var sameDynamic = SameDynamic(running, next);
        if (!sameDynamic)
        {
            notApplied.Add("FastCgiConfig and PmDynamicRoot settings (dynamic apps keep theirs until the PM restarts)");
        }

        if (running.ShutdownTimeout != next.ShutdownTimeout)
        {
            notApplied.Add("the shutdown timeout (until the PM restarts)");
        }

        var web = routing || running.FrontEnd.Processes != next.FrontEnd.Processes || running.FrontEnd.Tls != next.FrontEnd.Tls || running.FrontEnd.StatusPage != next.FrontEnd.StatusPage || !running.ExternalApps.SequenceEqual(next.ExternalApps, ExternalComparer.Instance)
            || !sameDynamic;
        return new ConfigChanges(added, removed, changed, unchanged, restart, notApplied, web);
    }

    /// <summary>What the reload does, in one line for the log and the reply.</summary>
    /// <param name="webProcesses">Whether the PM runs web processes (pm serve), which every reload that changes something rolls.</param>
    public string Summary(bool webProcesses)
    {
        var parts = new List<string>();
        if (Added.Count > 0)
        {
            parts.Add($"{Added.Count} added ({string.Join(", ", Added.Select(a => a.Path))})");
        }

        if (Removed.Count > 0)
        {
            parts.Add($"{Removed.Count} removed ({string.Join(", ", Removed.Select(a => a.Path))})");
        }

        if (Changed.Count > 0)
        {
            parts.Add($"{Changed.Count} changed ({string.Join("; ", Changed.Select(c => $"{c.New.Path}: {string.Join(", ", c.What)}"))})");
        }

        parts.Add($"{Unchanged.Count} unchanged");
        if (webProcesses && Any)
        {
            parts.Add("web processes rolled");
        }

        if (NotApplied.Count > 0)
        {
            parts.Add("not applied: " + string.Join("; ", NotApplied));
        }

        return string.Join(", ", parts);
    }

    private static bool SameDynamic(PmConfig a, PmConfig b) =>
        a.Dynamic.Options.SameAs(b.Dynamic.Options) && a.DynamicRoots.Count == b.DynamicRoots.Count &&
        a.DynamicRoots.Zip(b.DynamicRoots).All(p => p.First.UrlPrefix == p.Second.UrlPrefix && p.First.Directory == p.Second.Directory &&
            p.First.HandlerExtensions.SequenceEqual(p.Second.HandlerExtensions) && p.First.Policy.Equals(p.Second.Policy) &&
            Equals(p.First.Recycle, p.Second.Recycle) && SameRequest(p.First.Request, p.Second.Request));

    internal static bool SameRequest(RequestSettings? a, RequestSettings? b) =>
        a is null || b is null ? a is null && b is null : (a with { PassHeaders = [] }) == (b with { PassHeaders = [] }) && a.PassHeaders.SequenceEqual(b.PassHeaders);

    private sealed class ExternalComparer : IEqualityComparer<ExternalAppConfig>
    {
        public static readonly ExternalComparer Instance = new();

        public bool Equals(ExternalAppConfig? x, ExternalAppConfig? y) =>
            x is not null && y is not null && (x with { Source = y.Source, Request = y.Request }) == y && SameRequest(x.Request, y.Request);

        public int GetHashCode(ExternalAppConfig obj) => obj.Path.GetHashCode(StringComparison.Ordinal);
    }
}
