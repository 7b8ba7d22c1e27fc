namespace Pm.Config;

/// <summary>A FastCgiServer / AppClass: started with the PM, always kept running.</summary>
public sealed record StaticAppConfig(
    string Path,
    AppAddress Address,
    int Processes,
    int Priority,
    int ListenQueueDepth,
    IReadOnlyList<string> Environment,
    IReadOnlyList<string> Arguments,
    TimeSpan InitStartDelay,
    TimeSpan RestartDelay,
    TimeSpan MinServerLife,
    TimeSpan BackoffMax,
    UserIdentity? RunAs,
    RequestSettings Request,
    string? UrlPrefix,
    string? DocumentRoot,
    ConfigSource Source,
    InstanceLimits Limits)
{
    /// <summary>The app's directory: its instances' working directory.</summary>
    public string WorkingDirectory => System.IO.Path.GetDirectoryName(Path) ?? "/";
}
