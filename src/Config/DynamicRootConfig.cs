namespace Pm.Config;

/// <summary>
/// PmDynamicRoot: a URL prefix mapped to a directory whose executables (with a handler extension) are
/// dynamic apps, started on their first request. The policy and its parameters may be set per root.
/// </summary>
public sealed record DynamicRootConfig(
    string UrlPrefix,
    string Directory,
    IReadOnlyList<string> HandlerExtensions,
    string PolicyName,
    IReadOnlyDictionary<string, string> PolicyParameters,
    IReadOnlyList<string> IgnoredPolicyParameters,
    ConfigSource Source);
