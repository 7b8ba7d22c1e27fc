using Microsoft.Extensions.Logging.Abstractions;
using Pm.Policy.Restart;
using Pm.Posix;
using Pm.Supervision;
using Pm.Tests.Supervision.InMemory.Fakes;

namespace Pm.Tests.Supervision.InMemory;

/// <summary>
/// When a static app's slot starts again, with instances in memory and a fake clock: no processes, no sleeps.
/// restart-delay 2 s, min-server-life 30 s, backoff-max 16 s; the jitter always draws its top, so the n-th failure
/// in a row waits exactly min(16 s, 2 s × 2^(n−2)).
/// </summary>
public sealed class StaticAppSupervisionTests : IDisposable
{
    private static readonly RestartOptions Restart = new(
        InitStartDelay: TimeSpan.FromSeconds(1),
        RestartDelay: TimeSpan.FromSeconds(2),
        MinServerLife: TimeSpan.FromSeconds(30),
        BackoffMax: TimeSpan.FromSeconds(16));

    private readonly TestApps _apps = new();
    private readonly FakeLoop _loop = new();
    private readonly FakeInstances _instances;
    private readonly StaticApp _app;
    private readonly StaticAppSupervision _supervision;

    public StaticAppSupervisionTests()
    {
        _instances = new FakeInstances(_loop.Time);
        _app = _apps.Static("/srv/fcgi/app.fcgi", processes: 1, Restart);
        _supervision = new StaticAppSupervision([_app], _instances, _loop.Timers, _loop.Time, new FixedRandom(1.0),
            NullLogger.Instance, _loop.Guard);
        _loop.Dispatch = e =>
        {
            switch (e)
            {
                case SupervisorEvent.SlotStartDue x:
                    _supervision.OnSlotStartDue(x.App, x.Slot);
                    break;
                case SupervisorEvent.InstanceHealthy x:
                    _supervision.OnInstanceHealthy(x.Instance);
                    break;
            }
        };
    }

    private AppSlot Slot => _app.Slots[0];

    private Instance Current => Slot.Current ?? throw new InvalidOperationException("the slot has no instance");

    public void Dispose() => _apps.Dispose();

    [Fact]
    public void StartAll_EverySlot_StartsOneInstanceEach()
    {
        var app = _apps.Static("/srv/fcgi/four.fcgi", processes: 4, Restart);
        var supervision = new StaticAppSupervision([app], _instances, _loop.Timers, _loop.Time, new FixedRandom(1.0), NullLogger.Instance, _loop.Guard);

        _loop.OnLoop(supervision.StartAll);

        _instances.Attempts.Select(a => a.Slot).Should().Equal(0, 1, 2, 3);
        app.Slots.Should().OnlyContain(s => s.Current != null);
    }

    [Fact]
    public void OnInstanceExited_FirstFailure_RestartsAtOnce()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(5));

        Exit(Current, FakeInstances.ExitCode(1));

        Slot.Current.Should().NotBeNull("one failure is not a crash loop");
        _instances.Attempts.Should().HaveCount(2);
        _instances.Attempts[1].At.Should().Be(_loop.Now);
        _app.ConsecutiveFailures.Should().Be(1);
        _app.LastDecision.Should().Contain("first failure").And.Contain("restarting now");
    }

    [Fact]
    public void OnInstanceExited_ConsecutiveFailures_BackOffExponentiallyUpToTheCap()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(5));
        Exit(Current, FakeInstances.ExitCode(1));
        Slot.Current.Should().NotBeNull("the first failure restarts at once");

        var waits = new List<TimeSpan>();
        for (var failure = 2; failure <= 6; failure++)
        {
            Exit(Current, FakeInstances.KilledBy(Signals.SIGSEGV));
            Slot.Current.Should().BeNull("failure {0} in a row backs off", failure);
            var wait = Slot.StartAt!.Value - _loop.Now;
            waits.Add(wait);

            _loop.Advance(wait - TimeSpan.FromTicks(1));
            Slot.Current.Should().BeNull("the slot waits out its backoff");
            _loop.Advance(TimeSpan.FromTicks(1));
            Slot.Current.Should().NotBeNull("the slot starts when its backoff is over");
        }

        waits.Should().Equal(new[] { 2, 4, 8, 16, 16 }.Select(s => TimeSpan.FromSeconds(s)));
        _app.ConsecutiveFailures.Should().Be(6);
    }

    [Fact]
    public void OnInstanceExited_CleanExitAfterRestartDelay_RestartsAtOnce()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(3));

        Exit(Current, FakeInstances.ExitCode(0));

        Slot.Current.Should().NotBeNull("an instance that exits 0 (php-cgi after PHP_FCGI_MAX_REQUESTS) is not a failure");
        _instances.Attempts.Should().HaveCount(2);
        _app.ConsecutiveFailures.Should().Be(0);
    }

    [Fact]
    public void OnInstanceExited_InstanceOutlivedMinServerLife_RestartsAtOnce()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(45));

        Exit(Current, FakeInstances.KilledBy(Signals.SIGKILL));

        Slot.Current.Should().NotBeNull("an instance that lived min-server-life is not a failure, however it ended");
        _instances.Attempts.Should().HaveCount(2);
        _app.ConsecutiveFailures.Should().Be(0);
        _app.LastDecision.Should().Contain("not a failure");
    }

    [Fact]
    public void OnInstanceHealthy_ReplacementStaysUpForMinServerLife_ResetsTheFailureCount()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(5));
        Exit(Current, FakeInstances.ExitCode(1));
        Exit(Current, FakeInstances.ExitCode(1));
        _loop.Advance(Slot.StartAt!.Value - _loop.Now);
        _app.ConsecutiveFailures.Should().Be(2);

        _loop.Advance(Restart.MinServerLife - TimeSpan.FromTicks(1));
        _app.ConsecutiveFailures.Should().Be(2, "the replacement has not yet stayed up for min-server-life");
        _loop.Advance(TimeSpan.FromTicks(1));

        _app.ConsecutiveFailures.Should().Be(0);
        _app.LastDecision.Should().StartWith("recovered");
    }

    [Fact]
    public void OnInstanceHealthy_InstanceCrashedBeforeMinServerLife_KeepsTheFailureCount()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(5));
        Exit(Current, FakeInstances.ExitCode(1));
        var shortLived = Current;
        _loop.Advance(TimeSpan.FromSeconds(10));
        Exit(shortLived, FakeInstances.ExitCode(1));

        _loop.OnLoop(() => _supervision.OnInstanceHealthy(shortLived));

        _app.ConsecutiveFailures.Should().Be(2);
    }

    [Fact]
    public void StartAll_StartFails_RetriesWithBackoff()
    {
        _instances.FailingStarts = 3;

        _loop.OnLoop(_supervision.StartAll);
        while (Slot.Current is null)
        {
            _loop.Advance(Slot.StartAt!.Value - _loop.Now);
        }

        _instances.Attempts.Select(a => a.At - FakeLoop.Start).Should().Equal(new[] { 0, 0, 2, 6 }.Select(s => TimeSpan.FromSeconds(s)),
            "a failed start is an instance that died at once: retried at once, then backing off from restart-delay");
        _instances.Attempts.Select(a => a.Instance is null).Should().Equal(true, true, true, false);
        _app.ConsecutiveFailures.Should().Be(3);
        _app.LastDecision.Should().Contain("start failed");
    }

    [Fact]
    public void OnSlotStartDue_AfterStopRestarting_StartsNothing()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(5));
        Exit(Current, FakeInstances.ExitCode(1));
        Exit(Current, FakeInstances.ExitCode(1));
        Slot.StartAt.Should().NotBeNull();

        _loop.OnLoop(_supervision.StopRestarting);
        _loop.Advance(TimeSpan.FromMinutes(1));
        _loop.OnLoop(() => _supervision.OnSlotStartDue(_app, Slot));

        Slot.StartAt.Should().BeNull();
        Slot.Current.Should().BeNull();
        _instances.Attempts.Should().HaveCount(2);
    }

    [Fact]
    public void OnInstanceExited_StoppedInstance_LeavesTheExitToTheCaller()
    {
        _loop.OnLoop(_supervision.StartAll);
        var instance = Current;
        _loop.OnLoop(() => _instances.Stop(instance, TimeSpan.FromSeconds(1), "retired", ReasonKind.Reload));

        var handled = Exit(instance, FakeInstances.ExitCode(0));

        handled.Should().BeFalse("a stopped instance's exit is the caller's to report");
        Slot.Current.Should().BeNull();
        _instances.Attempts.Should().HaveCount(1);
    }

    [Fact]
    public void OnInstanceExited_KilledAtSpawnTimeout_CountsAsAFailedStartThatBacksOff()
    {
        _loop.OnLoop(_supervision.StartAll);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var instance = Current;
            instance.Ready = false;
            _loop.Advance(TimeSpan.FromSeconds(60));
            instance.FailedStart = true;
            instance.ReplaceAfterStop = true;
            _loop.OnLoop(() => _instances.Stop(instance, TimeSpan.FromSeconds(2), "-spawn-timeout 60 s", ReasonKind.SpawnTimeout));

            var handled = Exit(instance, FakeInstances.KilledBy(Signals.SIGTERM));

            handled.Should().BeTrue("a kill for a limit leaves its slot to restart");
            if (attempt == 1)
            {
                Slot.Current.Should().NotBeNull("a first failed start is retried at once");
            }
        }

        _app.ConsecutiveFailures.Should().Be(2, "60 s without being ready is a failed start, though longer than min-server-life");
        Slot.Current.Should().BeNull("the second failed start in a row backs off");
        Slot.StartAt.Should().BeAfter(_loop.Now);
        _app.LastDecision.Should().Contain("never ready");
    }

    [Fact]
    public void OnInstanceExited_KilledForRequestTimeout_RestartsAtOnceWithoutAFailure()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(3));
        var instance = Current;
        instance.ReplaceAfterStop = true;
        _loop.OnLoop(() => _instances.Stop(instance, TimeSpan.FromSeconds(2), "-request-timeout: a request ran 2.0 s", ReasonKind.RequestTimeout));

        Exit(instance, FakeInstances.KilledBy(Signals.SIGTERM)).Should().BeTrue();

        Slot.Current.Should().NotBeNull();
        Slot.Current.Should().NotBeSameAs(instance);
        _instances.Attempts.Should().HaveCount(2);
        _app.ConsecutiveFailures.Should().Be(0, "an instance that started fine and froze in a request is no crash loop");
        _instances.StartKinds.Should().Equal([ReasonKind.Start, ReasonKind.Restart], "the slot's second instance is a restart");
    }

    [Fact]
    public void StartReplacement_StuckInstance_NewOneStartsFirstAndTheOldOnesExitStartsNothing()
    {
        _loop.OnLoop(_supervision.StartAll);
        _loop.Advance(TimeSpan.FromSeconds(90));
        var stuck = Current;

        _loop.OnLoop(() => _supervision.StartReplacement(stuck, "replacing stuck pid", ReasonKind.Stuck));
        var replacement = Current;
        _loop.OnLoop(() => _instances.Stop(stuck, TimeSpan.FromSeconds(2), "-stuck-timeout 60 s", ReasonKind.Stuck));
        var handled = Exit(stuck, FakeInstances.KilledBy(Signals.SIGTERM));

        replacement.Should().NotBeSameAs(stuck);
        handled.Should().BeFalse();
        _instances.StartKinds.Should().Equal([ReasonKind.Start, ReasonKind.Stuck], "the first start, then the stuck one's replacement, each counted as what it was");
        Slot.Current.Should().BeSameAs(replacement, "the replacement keeps the slot");
        _instances.Attempts.Should().HaveCount(2, "one replacement, started before the stuck one went");
    }

    /// <summary>The instance's process ended now, with that status; returns whether the supervision took the exit.</summary>
    private bool Exit(Instance instance, WaitStatus status)
    {
        var handled = false;
        _loop.OnLoop(() =>
        {
            _instances.Reap(instance, status);
            handled = _supervision.OnInstanceExited(instance, status);
        });
        return handled;
    }
}
