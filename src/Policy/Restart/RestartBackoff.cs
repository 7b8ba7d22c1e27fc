using Pm.Shared;

namespace Pm.Policy.Restart;

/// <summary>
/// Decides when a static app's slot starts again after its instance ended. Pure: time and randomness come in.
/// <list type="bullet">
/// <item>An instance that lived at least -min-server-life, or exited with status 0 (php-cgi does after
/// PHP_FCGI_MAX_REQUESTS), is not a failure: the failure count resets and the slot restarts as soon as
/// -restart-delay since its last start allows: at once for anything that lived that long.</item>
/// <item>An instance that died sooner, not cleanly, is a failure. One failure is not a crash loop: the first is
/// restarted like a success (an instance killed by accident is replaced at once). The n-th failure in a row, n ≥ 2,
/// waits min(cap, step × 2^(n−2)), drawn uniformly from its upper half (jitter, so many apps crashing together do
/// not restart in lock-step), where step is -restart-delay (at least 250 ms); never less than the spacing floor.</item>
/// </list>
/// </summary>
public static class RestartBackoff
{
    public static RestartDecision Decide(RestartOptions options, InstanceEnd end, int failuresBefore, Random random)
    {
        var lifetime = end.EndedAt - end.StartedAt;
        var floorAt = end.StartedAt + options.RestartDelay;
        var healthy = lifetime >= options.MinServerLife;
        if (healthy || end.ExitedCleanly)
        {
            var at = Max(end.EndedAt, floorAt);
            var why = healthy
                ? $"it ran {Seconds(lifetime)} (>= min-server-life {Seconds(options.MinServerLife)})"
                : $"it exited cleanly after {Seconds(lifetime)}";
            var when = at > end.EndedAt
                ? $"restarting in {Seconds(at - end.EndedAt)} (restart-delay {Seconds(options.RestartDelay)} since its start)"
                : "restarting now";
            return new RestartDecision(at, healthy ? 0 : failuresBefore, IsFailure: false, BackingOff: false,
                $"{end.HowItEnded}; not a failure: {why}; {when}");
        }

        var failures = failuresBefore + 1;
        if (failures == 1)
        {
            var at = Max(end.EndedAt, floorAt);
            return new RestartDecision(at, failures, IsFailure: true, BackingOff: false,
                $"{end.HowItEnded} after {Seconds(lifetime)} (< min-server-life {Seconds(options.MinServerLife)}); first failure: " +
                (at > end.EndedAt ? $"restarting in {Seconds(at - end.EndedAt)} (restart-delay since its start)" : "restarting now"));
        }

        var step = options.RestartDelay > RestartOptions.MinimumBackoffStep ? options.RestartDelay : RestartOptions.MinimumBackoffStep;
        var ceiling = ExponentialBackoff.Delay(step, failures - 2, options.BackoffMax);
        var delay = ceiling / 2 + (ceiling / 2) * random.NextDouble();
        var start = Max(end.EndedAt + delay, floorAt);
        return new RestartDecision(start, failures, IsFailure: true, BackingOff: true,
            $"{end.HowItEnded} after {Seconds(lifetime)} (< min-server-life {Seconds(options.MinServerLife)}); " +
            $"{failures} failure{(failures == 1 ? "" : "s")} in a row: backing off {Seconds(start - end.EndedAt)} " +
            $"(exponential with jitter, cap backoff-max {Seconds(options.BackoffMax)})");
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    // Fewer digits for long waits: "2.5 s", "37.5 s".
    private static string Seconds(TimeSpan t) => t.TotalSeconds < 10 ? DurationFormat.Seconds(t) : DurationFormat.Seconds(t, decimals: 1);
}
