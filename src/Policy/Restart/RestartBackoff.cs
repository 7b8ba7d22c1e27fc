using Pm.Shared;

namespace Pm.Policy.Restart;

/// <summary>
/// Decides when a static app's slot starts again after its instance ended. Pure: time and randomness come in.
/// <list type="bullet">
/// <item>An instance that lived at least -min-server-life is healthy: the failure count resets and the slot
/// restarts at once, however the instance ended (a SIGKILLed or OOM-killed worker is replaced in milliseconds).</item>
/// <item>An instance that exited with status 0 sooner (php-cgi does after PHP_FCGI_MAX_REQUESTS) is not a failure
/// either: it restarts at once, but no sooner than <see cref="CleanExitSpacing"/> after its own start, so an app
/// that exits 0 at once cannot spin a core.</item>
/// <item>Any other end sooner than -min-server-life is a failure. One failure is not a crash loop: the first is
/// restarted at once too. The n-th failure in a row, n ≥ 2, waits min(cap, step × 2^(n−2)), drawn uniformly from
/// its upper half (jitter, so many apps crashing together do not restart in lock-step), where step is
/// -restart-delay (at least 250 ms), and never less than -restart-delay after the failed instance's start.</item>
/// <item>An instance killed for -request-timeout or -stuck-timeout had started fine: it is replaced at once, and the
/// failures in a row stay as they were.</item>
/// <item>An instance killed at -spawn-timeout (it never waited for work) is a failure whatever its lifetime: a start
/// that never succeeds must back off even when -spawn-timeout exceeds -min-server-life.</item>
/// </list>
/// mod_fastcgi spaces every restart -restart-delay (5 s) after the slot's last start, even a first failure's;
/// Pm keeps that spacing only for a crash loop, where it is a brake and not a penalty.
/// </summary>
public static class RestartBackoff
{
    /// <summary>The least time between two starts of a slot whose instances exit cleanly at once.</summary>
    public static readonly TimeSpan CleanExitSpacing = TimeSpan.FromSeconds(1);

    public static RestartDecision Decide(RestartOptions options, InstanceEnd end, int failuresBefore, Random random)
    {
        var lifetime = end.EndedAt - end.StartedAt;
        if (end.KilledForLimit && !end.NeverReady)
        {
            return new RestartDecision(end.EndedAt, failuresBefore, IsFailure: false, BackingOff: false,
                $"{end.HowItEnded}; killed for a limit after it was ready, not a failed start: restarting now");
        }

        if (lifetime >= options.MinServerLife && !end.NeverReady)
        {
            return new RestartDecision(end.EndedAt, 0, IsFailure: false, BackingOff: false,
                $"{end.HowItEnded}; not a failure: it ran {Seconds(lifetime)} (>= min-server-life {Seconds(options.MinServerLife)}); restarting now");
        }

        if (end.ExitedCleanly && !end.NeverReady)
        {
            var spacing = options.RestartDelay < CleanExitSpacing ? options.RestartDelay : CleanExitSpacing;
            var at = Max(end.EndedAt, end.StartedAt + spacing);
            return new RestartDecision(at, failuresBefore, IsFailure: false, BackingOff: false,
                $"{end.HowItEnded}; not a failure: it exited cleanly after {Seconds(lifetime)}; " +
                (at > end.EndedAt ? $"restarting in {Seconds(at - end.EndedAt)} ({Seconds(spacing)} since its start at least)" : "restarting now"));
        }

        var failures = failuresBefore + 1;
        var why = end.NeverReady
            ? $"{end.HowItEnded}: never ready, a failed start"
            : $"{end.HowItEnded} after {Seconds(lifetime)} (< min-server-life {Seconds(options.MinServerLife)})";
        if (failures == 1)
        {
            return new RestartDecision(end.EndedAt, failures, IsFailure: true, BackingOff: false, $"{why}; first failure: restarting now");
        }

        var step = options.RestartDelay > RestartOptions.MinimumBackoffStep ? options.RestartDelay : RestartOptions.MinimumBackoffStep;
        var ceiling = ExponentialBackoff.Delay(step, failures - 2, options.BackoffMax);
        var delay = ceiling / 2 + (ceiling / 2) * random.NextDouble();
        var start = Max(end.EndedAt + delay, end.StartedAt + options.RestartDelay);
        return new RestartDecision(start, failures, IsFailure: true, BackingOff: true,
            $"{why}; {failures} failures in a row: backing off {Seconds(start - end.EndedAt)} " +
            $"(exponential with jitter from restart-delay {Seconds(options.RestartDelay)}, cap backoff-max {Seconds(options.BackoffMax)})");
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    // Fewer digits for long waits: "2.5 s", "37.5 s".
    private static string Seconds(TimeSpan t) => t.TotalSeconds < 10 ? DurationFormat.Seconds(t) : DurationFormat.Seconds(t, decimals: 1);
}
