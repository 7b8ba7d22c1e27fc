namespace Pm.Config;

/// <summary>FastCgiConfig: the settings of every dynamic app (mod_fastcgi's global dynamic options).</summary>
public sealed record DynamicDefaults(
    OptionValues Options,
    RequestSettings Request,
    IReadOnlyList<string> Environment,
    TimeSpan StartDelay,
    int ListenQueueDepth,
    bool AutoUpdate,
    int MaxProcesses,
    int MaxClassProcesses,
    string PolicyName,
    IReadOnlyDictionary<string, string> PolicyParameters,
    IReadOnlyList<string> IgnoredPolicyParameters,
    ConfigSource? Source);
