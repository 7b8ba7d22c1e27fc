namespace Pm.Policy.Restart;

/// <summary>
/// When a static app's instances are restarted. mod_fastcgi's meanings are kept: -init-start-delay and
/// -restart-delay are the least time between two starts of the same slot (never-used and used slots), and an
/// instance that dies within -min-server-life counts as a failure. Pm adds an exponential, jittered backoff
/// for consecutive failures, capped at <see cref="BackoffMax"/>, instead of mod_fastcgi's fixed 600 s after 3.
/// </summary>
public sealed record RestartOptions(
    TimeSpan InitStartDelay,
    TimeSpan RestartDelay,
    TimeSpan MinServerLife,
    TimeSpan BackoffMax)
{
    /// <summary>The first backoff step when -restart-delay is 0, so a crash loop still slows down.</summary>
    public static readonly TimeSpan MinimumBackoffStep = TimeSpan.FromMilliseconds(250);
}
