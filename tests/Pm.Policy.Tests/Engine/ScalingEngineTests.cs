using Microsoft.Extensions.Time.Testing;
using Pm.Engine;
using Pm.Policy.Tests.Fakes;

namespace Pm.Policy.Tests.Engine;

/// <summary>
/// The decide-then-apply loop without processes: a scripted policy, a fake pool, a FakeTimeProvider. Every timer
/// the engine sets fires inside Advance, on the test's thread, as the PM's fire on its loop.
/// </summary>
public sealed class ScalingEngineTests
{
    private const string App = "/srv/fcgi-bin/app.fcgi";
    private const string Other = "/srv/fcgi-bin/other.fcgi";

    // Deliberately not a round time: code that assumes one shows up.
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 3, 5, 13, 17, 41, 123, TimeSpan.Zero));
    private readonly FakeInstancePool _pool = new();
    private readonly List<AppliedDecision> _applied = [];
    private readonly List<Exception> _failures = [];
    private Func<PolicyInput, IReadOnlyList<Decision>> _decide = _ => [];
    private Func<PolicyInput, DateTimeOffset?> _next = _ => null;
    private ScriptedPolicy? _policy;

    private DateTimeOffset Now => _clock.GetUtcNow();

    private List<PolicyInput> Inputs => _policy!.Inputs;

    private ScalingEngine Engine(ScalingEngineOptions? options = null)
    {
        _pool.Now = _clock.GetUtcNow;
        _policy = new ScriptedPolicy(TimeSpan.FromSeconds(0.05), i => _decide(i)) { Next = i => _next(i) };
        var engine = new ScalingEngine(_pool, [new PolicyGroup(FakeInstancePool.Group, _policy)], _clock,
            options ?? new ScalingEngineOptions { ProbeInterval = TimeSpan.Zero });
        engine.Applied += _applied.Add;
        engine.PolicyFailed += (_, ex) => _failures.Add(ex);
        return engine;
    }

    private void Advance(double seconds) => _clock.Advance(TimeSpan.FromSeconds(seconds));

    private StartRequested S(string app = App) => new(app, Now);

    private RequestCompleted C(string app = App) => new(app, Now, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));

    [Fact]
    public void OnDemand_StartForAnUnknownApp_OpensItAndEvaluatesOnce()
    {
        var engine = Engine();

        engine.OnDemand([(App, S())]);

        _pool.Calls.Should().Equal($"open {App}");
        engine.IsOpen(App).Should().BeTrue();
        Inputs.Should().ContainSingle().Which.Events.Should().ContainSingle().Which.Should().BeOfType<StartRequested>();
    }

    [Fact]
    public void OnDemand_BatchOf32Starts_EvaluatesOnceWithAllOfThem()
    {
        var engine = Engine();

        engine.OnDemand(Enumerable.Range(0, 32).Select(_ => (App, (PolicyEvent)S())).ToList());

        Inputs.Should().ContainSingle().Which.Events.Should().HaveCount(32);
    }

    [Fact]
    public void OnDemand_CompletionForAnUnknownApp_OpensNothing()
    {
        var engine = Engine();

        engine.OnDemand([(App, C())]);
        Advance(1);

        _pool.Calls.Should().BeEmpty();
        Inputs.Should().BeEmpty();
    }

    [Fact]
    public void OnDemand_PathThePoolRefuses_IsNotOpenedAndNotEvaluated()
    {
        _pool.Refused.Add(App);
        var engine = Engine();

        engine.OnDemand([(App, S())]);

        engine.IsOpen(App).Should().BeFalse();
        Inputs.Should().BeEmpty();
    }

    [Fact]
    public void OnDemand_CompletionsAlone_AreEvaluatedOnce50MsLater()
    {
        var engine = Engine();
        engine.OnDemand([(App, S())]);

        engine.OnDemand([(App, C())]);
        Advance(0.02);
        engine.OnDemand([(App, C())]);
        Advance(0.029);
        Inputs.Should().HaveCount(1, "the first completion's 50 ms have not passed");
        Advance(0.001);

        Inputs.Should().HaveCount(2);
        Inputs[1].Events.Should().HaveCount(2).And.AllBeOfType<RequestCompleted>();
        Advance(1);
        Inputs.Should().HaveCount(2);
    }

    [Fact]
    public void OnDemand_CompletionsWithConnectionsQueued_AreEvaluatedWithin5Ms()
    {
        var engine = Engine();
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 3;

        engine.OnDemand([(App, C())]);
        Advance(0.004);
        Inputs.Should().HaveCount(1);
        Advance(0.001);

        Inputs.Should().HaveCount(2, "requests wait: the completion may show they are long ones");
        Inputs[1].Events.Should().ContainSingle().Which.Should().BeOfType<RequestCompleted>();
    }

    [Fact]
    public void OnDemand_StartAfterACompletion_EvaluatesAtOnceAndTheCoalescingTimerAddsNothing()
    {
        var engine = Engine();
        engine.OnDemand([(App, S())]);
        engine.OnDemand([(App, C())]);

        engine.OnDemand([(App, new MoreRequested(App, Now))]);
        Advance(1);

        Inputs.Should().HaveCount(2);
        Inputs[1].Events.Select(e => e.GetType()).Should().Equal(typeof(RequestCompleted), typeof(MoreRequested));
    }

    [Fact]
    public void NextEvaluation_IsEvaluatedThen_AndAnEarlierEvaluationReplacesIt()
    {
        var engine = Engine();
        _next = i => i.Now.AddSeconds(2);
        engine.OnDemand([(App, S())]);
        var first = Now;

        Advance(1);
        engine.OnDemand([(App, new MoreRequested(App, Now))]); // asks again for +2 s from here
        Advance(1.5);
        Inputs.Should().HaveCount(2, "the first NextEvaluation (at +2 s) was replaced by the one at +3 s");
        Advance(0.5);

        Inputs.Should().HaveCount(3);
        Inputs[2].Now.Should().Be(first.AddSeconds(3));
    }

    [Fact]
    public void NextEvaluation_NowOrPast_IsEvaluatedAfterTheMinimumDelayNotInALoop()
    {
        var engine = Engine();
        _next = i => i.Now.AddSeconds(-1);

        engine.OnDemand([(App, S())]);
        Inputs.Should().HaveCount(1);
        Advance(0.001);

        Inputs.Should().HaveCount(2);
        (Inputs[1].Now - Inputs[0].Now).Should().Be(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void SpawnWithNotBefore_IsHeldUntilThen_AndShownAsPending()
    {
        var engine = Engine();
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 2, i.Now.AddSeconds(2), "later")] : [];
        engine.OnDemand([(App, S())]);

        Advance(1);
        engine.OnDemand([(App, new MoreRequested(App, Now))]);
        Inputs[1].Apps.Single().PendingStarts.Should().Be(2);
        _pool.Starts.Should().Be(0);
        Advance(0.999);
        _pool.Starts.Should().Be(0);
        Advance(0.001);

        _pool.Starts.Should().Be(2);
        engine.Find(App)!.PendingCount.Should().Be(0);
        _applied.Should().ContainSingle().Which.Should().Match<AppliedDecision>(a => a.Pending && a.Count == 2);
    }

    [Fact]
    public void CancelPendingStart_BeforeItIsDue_NeverStartsAndReportsWhatWasDropped()
    {
        var engine = Engine();
        _decide = i => Inputs.Count switch
        {
            1 => [new SpawnInstances(App, 3, i.Now.AddSeconds(2), "later")],
            2 => [new CancelPendingStart(App, "not needed")],
            _ => [],
        };
        engine.OnDemand([(App, S())]);

        engine.OnDemand([(App, new MoreRequested(App, Now))]);
        Advance(5);

        _pool.Starts.Should().Be(0);
        _applied.Last().Should().Match<AppliedDecision>(a => a.Decision is CancelPendingStart && a.Count == 3);
    }

    [Fact]
    public void RetiredLastInstance_ExitWithNoQueue_ReleasesTheApp_AndAStartReopensIt()
    {
        var engine = Engine();
        _decide = i => Inputs.Count switch
        {
            1 => [new SpawnInstances(App, 1, null, "start")],
            2 => [new RetireInstance(App, i.Apps.Single().Instances.Single().InstanceId, "idle")],
            _ => [],
        };
        engine.OnDemand([(App, S())]);
        _pool.SetState(App, 1, InstanceState.Idle);
        engine.OnInstancesChanged(App);

        engine.OnInstanceExited(_pool.Exit(App, 1, retired: true));

        _pool.Calls.Should().Equal($"open {App}", $"start {App}", $"retire {App} 1", $"release {App}");
        engine.IsOpen(App).Should().BeFalse();
        engine.OnDemand([(App, S())]);
        engine.IsOpen(App).Should().BeTrue();
        _pool.Calls.Last().Should().Be($"open {App}");
    }

    [Fact]
    public void RetiredLastInstance_ConnectionQueued_KeepsTheAppAndTellsThePolicyOfAStartRequest()
    {
        var engine = Engine();
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 1;

        engine.OnInstanceExited(_pool.Exit(App, 1, retired: true));

        engine.IsOpen(App).Should().BeTrue();
        _pool.Calls.Should().NotContain($"release {App}");
        Inputs.Last().Events.Should().ContainSingle(e => e is StartRequested);
    }

    [Fact]
    public void InstanceThatDiedOnItsOwn_DoesNotReleaseTheApp()
    {
        var engine = Engine();
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);

        engine.OnInstanceExited(_pool.Exit(App, 1, retired: false));

        engine.IsOpen(App).Should().BeTrue("a crashing app keeps its socket while its policy backs off");
    }

    [Fact]
    public void FailedStart_IsReportedAsExit127_AndAPolicyThatKeepsSpawningDoesNotSpin()
    {
        _pool.FailStarts = true;
        var engine = Engine();
        _decide = _ => [new SpawnInstances(App, 1, null, "again")];

        engine.OnDemand([(App, S())]);

        Inputs.Count.Should().BeLessThanOrEqualTo(3, "a batch evaluates a group at most three rounds");
        Inputs[1].Events.OfType<InstanceExited>().Should().ContainSingle().Which.ExitCode.Should().Be(127);
        var before = Inputs.Count;
        Advance(0.001);
        Inputs.Count.Should().BeGreaterThan(before, "the rest waits the minimum delay");
    }

    [Fact]
    public void Probe_QueuedWithNoFreeInstanceAndNoPendingStart_EvaluatesAtTheNextTick()
    {
        var engine = Engine(new ScalingEngineOptions());
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 2;

        Advance(0.019);
        Inputs.Should().HaveCount(1);
        Advance(0.001);

        Inputs.Should().HaveCount(2);
        Inputs[1].Apps.Single().QueuedConnections.Should().Be(2);
    }

    [Fact]
    public void Probe_MoreQueuedThanIdleInstances_EvaluatesAtTheNextTick()
    {
        var engine = Engine(new ScalingEngineOptions());
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        _pool.SetState(App, 1, InstanceState.Idle); // looks idle, between two requests of microseconds
        Ticks(0.2);                                 // past the faster probing after the start
        var before = Inputs.Count;
        _pool.Queued[App] = 1;
        Ticks(0.04);
        Inputs.Count.Should().Be(before, "the idle instance takes the one queued connection");

        _pool.Queued[App] = 3;
        Ticks(0.02);

        Inputs.Count.Should().Be(before + 1, "3 queued for 1 idle instance: it is not free, the policy is asked");
    }

    [Fact]
    public void Probe_QueuedButAnInstanceIsStartingOrAStartIsHeld_DoesNotEvaluate()
    {
        var engine = Engine(new ScalingEngineOptions());
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start"), new SpawnInstances(App, 1, i.Now.AddSeconds(10), "held")] : [];
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 1;

        Advance(0.1);
        Inputs.Should().HaveCount(1, "the starting instance will take the queued request");
        _pool.SetState(App, 1, InstanceState.Busy);
        Advance(0.1);

        Inputs.Should().HaveCount(1, "the held start answers the queue already");
    }

    [Fact]
    public void Probe_Within100MsOfAStart_LooksEvery5Ms_ThenEvery20Ms()
    {
        var engine = Engine(new ScalingEngineOptions { SettledInterval = TimeSpan.Zero });
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        _pool.SetState(App, 1, InstanceState.Busy); // up at once, and busy: queued connections wait for another
        _pool.Queued[App] = 2;

        Advance(0.005);
        Inputs.Should().HaveCount(2, "5 ms after a start the queues are looked at again");
        Ticks(0.095);
        var inWindow = Inputs.Count;
        Ticks(0.2);

        inWindow.Should().BeInRange(19, 21, "every 5 ms within 100 ms of the start");
        (Inputs.Count - inWindow).Should().BeInRange(9, 11, "every 20 ms after it");
    }

    [Fact]
    public void Probe_AfterAStart_StaysAt20Ms_WhenThereAreManyInstances()
    {
        var engine = Engine(new ScalingEngineOptions { StartingProbeMaxInstances = 2, SettledInterval = TimeSpan.Zero });
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 3, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        for (var id = 1; id <= 3; id++)
        {
            _pool.SetState(App, id, InstanceState.Busy);
        }

        _pool.Queued[App] = 2;
        Ticks(0.1);

        Inputs.Count.Should().BeInRange(5, 7, "3 instances are more than the 2 the faster probing is for: every 20 ms");
    }

    [Fact]
    public void Settled_AGroupThatDecidesNothingWhileConnectionsWait_IsAskedEvery50Ms_AndItsCompletionsAskNothing()
    {
        // A hello app held at its short cap under steady load: the queue never empties, the policy never starts more.
        var engine = SettledEngine();
        var before = Inputs.Count;
        var refreshes = _pool.Refreshes;

        for (var i = 0; i < 500; i++)
        {
            engine.OnDemand([(App, C())]);          // a completion every millisecond
            Advance(0.001);
        }

        (Inputs.Count - before).Should().BeInRange(9, 11, "once per 50 ms, not at every completion's 5 ms");
        (_pool.Refreshes - refreshes).Should().BeInRange(9, 11, "each evaluation reuses the probe's look");
    }

    [Fact]
    public void Settled_ARecordThatAsksAtOnce_IsEvaluatedAtOnce_AndADecisionEndsTheSettledState()
    {
        var engine = SettledEngine();
        _decide = i => i.Events.Any(e => e is MoreRequested) ? [new SpawnInstances(App, 1, i.Now.AddSeconds(10), "held")] : [];

        var before = Inputs.Count;
        engine.OnDemand([(App, new MoreRequested(App, Now))]);

        Inputs.Count.Should().Be(before + 1, "a T record is evaluated at once, settled or not");
        engine.Groups.Single().Settled.Should().BeFalse("the evaluation decided something (a start held for later)");
    }

    [Fact]
    public void Settled_EndsWhenNothingWaitsAnyMore()
    {
        var engine = SettledEngine();

        _pool.Queued[App] = 0;
        engine.OnDemand([(App, C())]);
        Ticks(0.06);

        engine.Groups.Single().Settled.Should().BeFalse("nothing waits any more");
    }

    [Fact]
    public void Probe_ThatAsksThePolicy_LooksAtTheInstancesOnce()
    {
        var engine = Engine(new ScalingEngineOptions { SettledInterval = TimeSpan.Zero });
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 2;
        Advance(0.019);
        var refreshes = _pool.Refreshes;
        var evaluations = Inputs.Count;

        Advance(0.001);

        Inputs.Count.Should().Be(evaluations + 1);
        (_pool.Refreshes - refreshes).Should().Be(1, "the evaluation the probe asked for uses the probe's look");
    }

    // One busy instance, 56 connections always waiting, a policy that started it and decides nothing more: settled
    // once past the faster probing after the start.
    private ScalingEngine SettledEngine()
    {
        var engine = Engine(new ScalingEngineOptions());
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        _pool.SetState(App, 1, InstanceState.Busy);
        _pool.Queued[App] = 56;
        Ticks(0.2);
        engine.Groups.Single().Settled.Should().BeTrue();
        return engine;
    }

    // Advances a millisecond at a time: a timer set inside a callback is due after the Advance it ran in.
    private void Ticks(double seconds)
    {
        for (var i = 0; i < (int)Math.Round(seconds * 1000); i++)
        {
            Advance(0.001);
        }
    }

    [Fact]
    public void Probe_StopsTwoSecondsAfterTheLastRecord_UnlessConnectionsWait()
    {
        var engine = Engine(new ScalingEngineOptions { SettledInterval = TimeSpan.Zero });
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, null, "start")] : [];
        engine.OnDemand([(App, S())]);
        _pool.SetState(App, 1, InstanceState.Busy);

        Advance(2.1);
        _pool.Queued[App] = 1;
        Advance(1);

        Inputs.Should().HaveCount(1, "no probe runs after 2 s without a record");
        engine.OnDemand([(App, new MoreRequested(App, Now))]);
        Ticks(3);

        Inputs.Count.Should().BeGreaterThan(100, "with connections waiting and nothing free, every tick asks the policy, past 2 s too");
    }

    [Fact]
    public void Evaluate_TwoAppsOfOneGroup_OneInputShowsBoth_WithThePoolsTotal()
    {
        var engine = Engine();
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 2, null, "start")] : [];
        engine.OnDemand([(App, S())]);

        engine.OnDemand([(Other, S())]);

        Inputs.Last().Apps.Select(a => a.AppId).Should().BeEquivalentTo([App, Other]);
        Inputs.Last().Global.TotalDynamicInstances.Should().Be(2);
    }

    [Fact]
    public void Decision_AboutAnAppOfAnotherGroup_IsReportedNotApplied()
    {
        _pool.Groups[Other] = "elsewhere";
        _pool.Now = _clock.GetUtcNow;
        var mine = new ScriptedPolicy(TimeSpan.FromSeconds(0.05), _ => [new SpawnInstances(Other, 1, null, "not mine")]);
        var engine = new ScalingEngine(_pool,
            [new PolicyGroup(FakeInstancePool.Group, mine), new PolicyGroup("elsewhere", new ScriptedPolicy(TimeSpan.FromSeconds(1), _ => []))],
            _clock, new ScalingEngineOptions { ProbeInterval = TimeSpan.Zero });
        engine.PolicyFailed += (_, ex) => _failures.Add(ex);
        engine.OnDemand([(Other, S(Other))]);

        engine.OnDemand([(App, S())]);

        _pool.Starts.Should().Be(0);
        _failures.Should().ContainSingle().Which.Message.Should().Contain("another app '" + Other + "'");
    }

    [Fact]
    public void Policy_ThatThrows_IsReported_AndTheEngineGoesOn()
    {
        var engine = Engine();
        _decide = _ => Inputs.Count == 1 ? throw new InvalidOperationException("boom") : [new SpawnInstances(App, 1, null, "fine")];

        engine.OnDemand([(App, S())]);
        engine.OnDemand([(App, new MoreRequested(App, Now))]);

        _failures.Should().ContainSingle().Which.Message.Should().Be("boom");
        _pool.Starts.Should().Be(1);
    }

    [Fact]
    public void Stop_DropsHeldStarts_AndNothingIsEvaluatedOrStartedAfter()
    {
        var engine = Engine(new ScalingEngineOptions());
        _next = i => i.Now.AddSeconds(1);
        _decide = i => Inputs.Count == 1 ? [new SpawnInstances(App, 1, i.Now.AddSeconds(1), "held")] : [];
        engine.OnDemand([(App, S())]);
        _pool.Queued[App] = 1;

        engine.Stop();
        engine.OnDemand([(App, S())]);
        Advance(10);

        Inputs.Should().HaveCount(1);
        _pool.Starts.Should().Be(0);
    }
}
