namespace Pm.Status;

/// <summary>What `pm status` shows: the PM, each app and each instance. Serialized as JSON for scripts.</summary>
public sealed record StatusReport(
    int Pid,
    DateTimeOffset StartedAt,
    DateTimeOffset Now,
    string IpcDir,
    string Config,
    IReadOnlyList<AppStatus> Apps)
{
    /// <summary>CPU time (user + system) the PM process has used, in seconds.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>The PM process's resident memory.</summary>
    public long? RssBytes { get; init; }
}
