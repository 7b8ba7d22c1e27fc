using Pm.Policy;

namespace Pm.Config;

/// <summary>
/// PmDynamicRoot: a URL prefix mapped to a directory whose executables (with a handler extension) are
/// dynamic apps, started on their first request. The policy and its parameters may be set per root.
/// </summary>
/// <param name="Policy">The root's scaling policy, resolved when the config was read (FastCgiConfig's, overridden by the root's options).</param>
/// <param name="IgnoredPolicyParameters">mod_fastcgi options given that <paramref name="Policy"/> does not take: ignored, not refused, and said so at startup.</param>
public sealed record DynamicRootConfig(
    string UrlPrefix,
    string Directory,
    IReadOnlyList<string> HandlerExtensions,
    PolicySettings Policy,
    IReadOnlyList<string> IgnoredPolicyParameters,
    ConfigSource Source);
