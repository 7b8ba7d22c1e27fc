namespace Pm.Policy.Restart;

/// <summary>
/// When a static app's instances are restarted (see <see cref="RestartBackoff"/>). -init-start-delay spaces the
/// first starts of a slot that never ran, as in mod_fastcgi; an instance that dies within -min-server-life counts
/// as a failure. Unlike mod_fastcgi, -restart-delay is not a spacing every restart waits for: a healthy instance
/// and a first failure are replaced at once, and -restart-delay is the step and floor of the exponential, jittered
/// backoff of consecutive failures, capped at <see cref="BackoffMax"/> (mod_fastcgi: a fixed 600 s after 3).
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
