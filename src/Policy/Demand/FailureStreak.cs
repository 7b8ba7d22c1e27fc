using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// Failed starts: an exit the PM did not ask for, unclean or before serving anything inside minServerLife, extends
/// a streak; beyond maxFailedStarts in a row, starts wait restartDelay × 2^k (capped at failedStartsDelay, with
/// jitter from the injected Random). An instance started after the last failure that lives minServerLife ends it.
/// </summary>
internal static class FailureStreak
{
    /// <summary>An instance exited without being retired; <paramref name="served"/> is what it had served at the last evaluation.</summary>
    public static void OnExit(DemandApp app, InstanceExited exited, long served, DemandPolicyOptions options, Random random)
    {
        var failed = !exited.Clean || (served == 0 && exited.Lifetime < options.MinServerLife);
        if (!failed)
        {
            app.ConsecutiveFailures = 0;
            app.BackoffUntil = null;
            return;
        }

        app.ConsecutiveFailures++;
        app.LastFailureAt = exited.At;
        if (app.ConsecutiveFailures > options.MaxFailedStarts)
        {
            var doublings = app.ConsecutiveFailures - options.MaxFailedStarts - 1;
            var seconds = ExponentialBackoff.Delay(options.RestartDelay, doublings, options.FailedStartsDelay).TotalSeconds;
            if (options.BackoffJitter > 0)
            {
                seconds *= 1 + (options.BackoffJitter * ((2 * random.NextDouble()) - 1));
            }

            app.BackoffUntil = exited.At + TimeSpan.FromSeconds(seconds);
        }
    }

    /// <summary>Ends the streak once an instance started after the last failure has lived minServerLife.</summary>
    public static void EndIfRecovered(DemandApp app, AppView view, DateTimeOffset now, DemandPolicyOptions options)
    {
        if (app.ConsecutiveFailures <= 0 || app.LastFailureAt is not { } lastFailure)
        {
            return;
        }

        foreach (var instance in view.Instances)
        {
            if (instance.State is InstanceState.Idle or InstanceState.Busy && instance.StartedAt >= lastFailure
                && now - instance.StartedAt >= options.MinServerLife)
            {
                app.ConsecutiveFailures = 0;
                app.BackoffUntil = null;
                return;
            }
        }
    }

    /// <summary>How long starts stay backed off from <paramref name="now"/>; zero when they are not.</summary>
    public static TimeSpan BackoffLeft(DemandApp app, DateTimeOffset now) =>
        app.BackoffUntil is { } until && until > now ? until - now : TimeSpan.Zero;
}
