using Pm.Policy;

namespace Pm.Config;

/// <summary>FastCgiConfig: the settings of every dynamic app (mod_fastcgi's global dynamic options).</summary>
/// <param name="StartDelay">The -startDelay option as given (mod_fastcgi's default 3 s); what requests use is <see cref="Policy"/>'s.</param>
/// <param name="Policy">FastCgiConfig's scaling policy, resolved when the config was read; each PmDynamicRoot has its own.</param>
/// <param name="Access">Who may connect to dynamic apps' sockets, unless a PmDynamicRoot says otherwise.</param>
/// <param name="IgnoredPolicyParameters">mod_fastcgi options given that <paramref name="Policy"/> does not take: ignored, not refused.</param>
public sealed record DynamicDefaults(
    OptionValues Options,
    RequestSettings Request,
    IReadOnlyList<string> Environment,
    TimeSpan StartDelay,
    int ListenQueueDepth,
    bool AutoUpdate,
    int MaxProcesses,
    int MaxClassProcesses,
    PolicySettings Policy,
    IReadOnlyList<string> IgnoredPolicyParameters,
    ConfigSource? Source,
    InstanceLimits Limits,
    SocketAccess Access);
