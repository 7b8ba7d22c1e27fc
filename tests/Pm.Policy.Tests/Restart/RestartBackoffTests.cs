using Pm.Policy.Restart;

namespace Pm.Policy.Tests.Restart;

/// <summary>
/// When a static app's slot starts again. mod_fastcgi's defaults (restart-delay 5 s, min-server-life 30 s),
/// backoff-max 60 s; a Random whose draws are fixed, so the jitter's part of a wait is known.
/// </summary>
public sealed class RestartBackoffTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static readonly RestartOptions Defaults = new(
        InitStartDelay: TimeSpan.FromSeconds(1),
        RestartDelay: TimeSpan.FromSeconds(5),
        MinServerLife: TimeSpan.FromSeconds(30),
        BackoffMax: TimeSpan.FromSeconds(60));

    private static InstanceEnd Ended(double livedSeconds, bool clean = false) =>
        new(T0, T0 + TimeSpan.FromSeconds(livedSeconds), clean, clean ? "exited with status 0" : "killed by SIGKILL");

    [Fact]
    public void Decide_FirstFailureSoonAfterStart_RestartsAtOnceNotAfterRestartDelay()
    {
        var end = Ended(0.3);

        var decision = RestartBackoff.Decide(Defaults, end, failuresBefore: 0, new FixedDraw(1.0));

        decision.StartAt.Should().Be(end.EndedAt, "one kill of a healthy app is not a crash loop (mod_fastcgi would wait 4.7 s)");
        decision.ConsecutiveFailures.Should().Be(1);
        decision.IsFailure.Should().BeTrue();
        decision.BackingOff.Should().BeFalse();
        decision.Reason.Should().Contain("first failure: restarting now");
    }

    [Fact]
    public void Decide_InstanceOutlivedMinServerLife_RestartsAtOnceAndResetsTheCount()
    {
        var end = Ended(31);

        var decision = RestartBackoff.Decide(Defaults, end, failuresBefore: 4, new FixedDraw(1.0));

        decision.StartAt.Should().Be(end.EndedAt);
        decision.ConsecutiveFailures.Should().Be(0);
        decision.IsFailure.Should().BeFalse();
        decision.Reason.Should().Contain("not a failure").And.Contain("min-server-life 30 s");
    }

    [Fact]
    public void Decide_KilledAtSpawnTimeoutAfterMinServerLife_IsStillAFailedStartThatBacksOff()
    {
        var end = new InstanceEnd(T0, T0 + TimeSpan.FromSeconds(60), false, "killed by SIGTERM", NeverReady: true);

        var first = RestartBackoff.Decide(Defaults, end, failuresBefore: 0, new FixedDraw(1.0));
        var second = RestartBackoff.Decide(Defaults, end, failuresBefore: 1, new FixedDraw(1.0));

        first.IsFailure.Should().BeTrue("60 s without ever waiting for work is no success, though it outlived min-server-life (30 s)");
        first.ConsecutiveFailures.Should().Be(1);
        first.Reason.Should().Contain("never ready");
        second.BackingOff.Should().BeTrue();
        second.StartAt.Should().BeAfter(end.EndedAt);
    }

    [Fact]
    public void Decide_KilledForARequestLimitSoonAfterStart_RestartsAtOnceAndKeepsTheCount()
    {
        var end = new InstanceEnd(T0, T0 + TimeSpan.FromSeconds(3), false, "killed by SIGKILL", KilledForLimit: true);

        var decision = RestartBackoff.Decide(Defaults, end, failuresBefore: 2, new FixedDraw(1.0));

        decision.StartAt.Should().Be(end.EndedAt);
        decision.IsFailure.Should().BeFalse("a request that ran too long is no failed start, though the instance lived 3 s < min-server-life");
        decision.ConsecutiveFailures.Should().Be(2);
        decision.BackingOff.Should().BeFalse();
    }

    [Fact]
    public void Decide_SecondFailureInARow_BacksOffFromRestartDelay()
    {
        var end = Ended(0.3);

        var top = RestartBackoff.Decide(Defaults, end, failuresBefore: 1, new FixedDraw(1.0));
        var bottom = RestartBackoff.Decide(Defaults, end, failuresBefore: 1, new FixedDraw(0.0));

        top.StartAt.Should().Be(end.EndedAt + TimeSpan.FromSeconds(5), "the jitter's top is the whole step");
        bottom.StartAt.Should().Be(T0 + TimeSpan.FromSeconds(5), "half a step would come before restart-delay after the start, the floor");
        top.BackingOff.Should().BeTrue();
        top.ConsecutiveFailures.Should().Be(2);
        top.Reason.Should().Contain("2 failures in a row: backing off");
    }

    [Fact]
    public void Decide_ConsecutiveFailures_DoubleUpToBackoffMax()
    {
        var waits = Enumerable.Range(1, 6)
            .Select(before => RestartBackoff.Decide(Defaults, Ended(0.3), before, new FixedDraw(1.0)).StartAt - Ended(0.3).EndedAt)
            .ToList();

        waits.Should().Equal(new[] { 5, 10, 20, 40, 60, 60 }.Select(s => TimeSpan.FromSeconds(s)));
    }

    [Fact]
    public void Decide_RestartDelayZero_StillBacksOffAQuarterSecondStep()
    {
        var options = Defaults with { RestartDelay = TimeSpan.Zero };

        var decision = RestartBackoff.Decide(options, Ended(0.1), failuresBefore: 1, new FixedDraw(1.0));

        decision.StartAt.Should().Be(Ended(0.1).EndedAt + RestartOptions.MinimumBackoffStep);
    }

    [Fact]
    public void Decide_CleanExitSoonAfterStart_WaitsOutOneSecondSinceItsStart()
    {
        var decision = RestartBackoff.Decide(Defaults, Ended(0.2, clean: true), failuresBefore: 0, new FixedDraw(1.0));

        decision.StartAt.Should().Be(T0 + RestartBackoff.CleanExitSpacing, "an app that exits 0 at once must not spin a core");
        decision.IsFailure.Should().BeFalse();
        decision.Reason.Should().Contain("exited cleanly").And.Contain("restarting in 0.8 s");
    }

    [Fact]
    public void Decide_CleanExitAfterASecond_RestartsAtOnceKeepingTheCount()
    {
        var end = Ended(2, clean: true);

        var decision = RestartBackoff.Decide(Defaults, end, failuresBefore: 2, new FixedDraw(1.0));

        decision.StartAt.Should().Be(end.EndedAt, "php-cgi exits 0 after PHP_FCGI_MAX_REQUESTS; its slot must not stay empty for restart-delay");
        decision.ConsecutiveFailures.Should().Be(2);
        decision.Reason.Should().Contain("restarting now");
    }

    /// <summary>A Random whose every draw is the same number.</summary>
    private sealed class FixedDraw(double value) : Random
    {
        public override double NextDouble() => value;

        protected override double Sample() => value;
    }
}
