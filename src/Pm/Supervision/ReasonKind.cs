namespace Pm.Supervision;

/// <summary>
/// The few words a metric's `reason` label may take, from the sentence a start or a stop was logged with. The
/// sentences name the setting that acted first (`-spawn-timeout 60 s: ...`, `private memory ... > -memory-limit`), so
/// the kind is read from them in one place instead of being passed beside every reason; anything not known is
/// `other`, never a new label value.
/// </summary>
public static class ReasonKind
{
    /// <summary>Why an instance started: start (with the PM, or added by a reload), restart (its slot's instance ended), recycle (a replacement before retiring one), stuck (a replacement of a stuck one), policy (a dynamic app's policy).</summary>
    public static string OfSpawn(string reason, bool dynamic)
    {
        if (reason.StartsWith("replacing stuck", StringComparison.Ordinal))
        {
            return "stuck";
        }

        if (reason.StartsWith("replacing pid ", StringComparison.Ordinal) && reason.Contains(" (", StringComparison.Ordinal))
        {
            return "recycle";
        }

        if (reason.StartsWith("replacing pid ", StringComparison.Ordinal) || reason.Contains("restart", StringComparison.Ordinal))
        {
            return "restart";
        }

        return dynamic ? "policy" : "start";
    }

    /// <summary>Why the PM stopped an instance: a limit (spawn_timeout, request_timeout, stuck, max_requests, memory_limit), reload, restart, policy, shutdown, or other.</summary>
    public static string OfKill(string reason) => reason switch
    {
        _ when reason.StartsWith("-spawn-timeout", StringComparison.Ordinal) => "spawn_timeout",
        _ when reason.StartsWith("-request-timeout", StringComparison.Ordinal) => "request_timeout",
        _ when reason.StartsWith("-stuck-timeout", StringComparison.Ordinal) => "stuck",
        _ when reason.StartsWith("-max-requests", StringComparison.Ordinal) => "max_requests",
        _ when reason.Contains("-memory-limit", StringComparison.Ordinal) => "memory_limit",
        _ when reason.StartsWith("PM shutting down", StringComparison.Ordinal) => "shutdown",
        _ when reason.StartsWith("reload", StringComparison.Ordinal) || reason.Contains("by a reload", StringComparison.Ordinal) || reason.StartsWith("-processes lowered", StringComparison.Ordinal) => "reload",
        _ when reason.StartsWith("pm restart", StringComparison.Ordinal) => "restart",
        _ when reason.Contains("policy", StringComparison.Ordinal) => "policy",
        _ => "other",
    };
}
