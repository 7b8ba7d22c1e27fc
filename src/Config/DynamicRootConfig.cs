using Pm.Policy;

namespace Pm.Config;

/// <summary>
/// PmDynamicRoot: a URL prefix mapped to a directory whose executables (with a handler extension) are
/// dynamic apps, started on their first request; also made from Apache lines (ScriptAlias + AddHandler fastcgi-script). The policy and its parameters may be set per root.
/// </summary>
/// <param name="Policy">The root's scaling policy, resolved when the config was read (FastCgiConfig's, overridden by the root's options).</param>
/// <param name="Request">How the web processes talk to the root's apps: FastCgiConfig's settings with the root's own -request-timeout and -slow-log; null in tests that build a root by hand (then FastCgiConfig's apply).</param>
/// <param name="Recycle">When the root's instances are recycled: FastCgiConfig's -max-requests and -memory-limit with the root's own; null: FastCgiConfig's.</param>
/// <param name="Access">Who may connect to the root's apps' sockets: FastCgiConfig's -socket-user, -socket-group and -socket-mode, each overridden by the root's own; null: FastCgiConfig's.</param>
/// <param name="IgnoredPolicyParameters">mod_fastcgi options given that <paramref name="Policy"/> does not take: ignored, not refused, and said so at startup.</param>
public sealed record DynamicRootConfig(
    string UrlPrefix,
    string Directory,
    IReadOnlyList<string> HandlerExtensions,
    PolicySettings Policy,
    IReadOnlyList<string> IgnoredPolicyParameters,
    ConfigSource Source,
    RequestSettings? Request = null,
    RecycleLimits? Recycle = null,
    SocketAccess? Access = null)
{
    /// <summary>
    /// No extensions: every executable file under the root is an app, as under Apache's SetHandler fastcgi-script.
    /// PmDynamicRoot always has at least one (.fcgi by default); only a SetHandler line makes a root without.
    /// </summary>
    public bool RunsEveryFile => HandlerExtensions.Count == 0;
}
