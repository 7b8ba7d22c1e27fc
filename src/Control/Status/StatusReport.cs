namespace Pm.Status;

/// <summary>What `pm status` shows: the PM, each app and each instance. Serialized as JSON for scripts.</summary>
public sealed record StatusReport(
    int Pid,
    DateTimeOffset StartedAt,
    DateTimeOffset Now,
    string IpcDir,
    string Config,
    IReadOnlyList<AppStatus> Apps);
