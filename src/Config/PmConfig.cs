namespace Pm.Config;

/// <summary>A whole, validated config: what the PM runs and how the web processes route to it.</summary>
/// <param name="Ipc">The IPC dir as configured and the directory that stands for it (<see cref="IpcLayout.Locate"/>).</param>
public sealed record PmConfig(
    string SourceFile,
    IpcDirLocation Ipc,
    string? Wrapper,
    IReadOnlyList<StaticAppConfig> StaticApps,
    IReadOnlyList<ExternalAppConfig> ExternalApps,
    DynamicDefaults Dynamic,
    IReadOnlyList<DynamicRootConfig> DynamicRoots,
    FrontEndConfig FrontEnd,
    TimeSpan ShutdownTimeout,
    string? QueueGroup)
{
    /// <summary>The directory of the sockets, queue and control socket: <see cref="IpcDirLocation.Path"/>.</summary>
    public string IpcDir => Ipc.Path;

    /// <summary>The lines Pm passed over or read differently from Apache, in file order: `pm check-config` prints them.</summary>
    public IReadOnlyList<ConfigNotice> Notices { get; init; } = [];

    /// <summary>PmLogFile: an absolute path the PM's log also goes to (appended, reopened on SIGUSR1); null: none.</summary>
    public string? LogFile { get; init; }

    /// <summary>Reads and validates a config file; throws <see cref="ConfigException"/> listing every error.</summary>
    public static PmConfig Load(string path) => ConfigParser.ParseFile(path);
}
