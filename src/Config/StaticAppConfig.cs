namespace Pm.Config;

/// <summary>A FastCgiServer / AppClass: started with the PM, always kept running.</summary>
/// <param name="Access">Who may connect to the app's Unix socket (-socket-user, -socket-group, -socket-mode); <see cref="SocketAccess.Private"/> for a TCP app.</param>
/// <param name="DocumentRootRules">-extensions, -index, -static: what a URL under -document-root leads to; null without -document-root.</param>
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
    InstanceLimits Limits,
    SocketAccess Access,
    DocumentRootRules? DocumentRootRules = null)
{
    /// <summary>The app's directory: its instances' working directory.</summary>
    public string WorkingDirectory => System.IO.Path.GetDirectoryName(Path) ?? "/";
}
