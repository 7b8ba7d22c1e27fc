namespace Pm.Policy.Restart;

/// <summary>What the restart decision needs to know about an instance that ended.</summary>
/// <param name="NeverReady">Killed at -spawn-timeout without ever waiting for work: a failed start, however long it took.</param>
/// <param name="KilledForLimit">Killed by the PM for -request-timeout or -stuck-timeout after it had been ready: the app's
/// start worked, so it is no failure; the slot starts again at once and the count of failures stays.</param>
public sealed record InstanceEnd(
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    bool ExitedCleanly,
    string HowItEnded,
    bool NeverReady = false,
    bool KilledForLimit = false);
