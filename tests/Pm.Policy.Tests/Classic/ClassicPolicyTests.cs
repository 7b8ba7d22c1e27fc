using Pm.Policy.Tests.Fakes;

namespace Pm.Policy.Tests.Classic;

/// <summary>
/// One test per rule of mod_fastcgi's dynamic process management (reference §2, §3, §8), with the numbers of its
/// formulas: LF = (int)(100 * connTime / (n * elapsed_us + 1)), load = n/(n-1) * LF.
/// </summary>
public sealed class ClassicPolicyTests
{
    private const string App = "/srv/fcgi/app.fcgi";
    private const string Other = "/srv/fcgi/other.fcgi";

    // Statistics updates far apart, so the kill policy sees totalConnTime unless a test is about smoothing.
    private static readonly ClassicPolicyOptions NoSmoothing = new() { UpdateInterval = TimeSpan.FromSeconds(3600) };

    [Fact]
    public void KillPolicy_TwoIdleishInstances_UsesTruncatedLoadFactorWithPlusOne()
    {
        var pm = Start(NoSmoothing, 2);           // epoch at t0, instances at t0 and t0+1
        pm.C(App, 0, 120);                        // 120 s of service: LF = (int)(100*120e6 / (2*300e6 + 1)) = 19
        pm.Advance(299);                          // t0+300: killInterval since the epoch

        pm.Evaluate();

        var retire = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Subject;
        retire.InstanceId.Should().Be(2, "the youngest instance is retired");
        retire.Reason.Should().Contain("load factor 19%").And.Contain("38%").And.Contain("multiThreshold 50%");
    }

    [Theory]
    [InlineData(false, 0)] // exact ratio: 3/2 * 40 = 60 >= 50, all three stay
    [InlineData(true, 1)]  // integer ratio: 3/2 = 1, 1 * 40 = 40 < 50, the youngest goes
    public void KillPolicy_ThreeInstancesAtLoadFactor40_RatioDependsOnReproduceIntegerDivision(bool reproduce, int retired)
    {
        var pm = Start(NoSmoothing with { ReproduceIntegerDivision = reproduce }, 3);
        pm.C(App, 0, 361);                        // LF = (int)(100*361e6 / (3*300e6 + 1)) = 40
        pm.Advance(298);

        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Should().HaveCount(retired);
        pm.Last!.Loads.Single().Figures["loadFactor"].Should().Be(40);
        if (retired == 1)
        {
            pm.Decisions.OfType<RetireInstance>().Single().InstanceId.Should().Be(3);
        }
    }

    [Fact]
    public void KillPolicy_SingleThresholdZero_NeverRetiresTheLastInstance()
    {
        var pm = Start(NoSmoothing, 1);
        for (var round = 0; round < 3; round++)
        {
            pm.Advance(300);
            pm.Evaluate();
            pm.Decisions.Should().BeEmpty("LF 0 >= singleThreshold 0 keeps a lone instance");
        }
    }

    [Fact]
    public void KillPolicy_SingleThresholdAboveLoadFactor_RetiresTheLastInstance()
    {
        var pm = Start(NoSmoothing with { SingleThreshold = 10 }, 1);
        pm.C(App, 0, 27);                         // LF = (int)(100*27e6 / (300e6 + 1)) = 8 < 10
        pm.Advance(300);

        pm.Evaluate();

        pm.Decisions.Should().ContainSingle().Which.Reason.Should().Contain("load factor 8% < singleThreshold 10%");
    }

    [Fact]
    public void KillPolicy_PendingStart_IsCancelledInsteadOfRetiringAnInstance()
    {
        var options = NoSmoothing with
        {
            KillInterval = TimeSpan.FromSeconds(10), Restart = true, SingleThreshold = 10, RestartDelay = TimeSpan.FromSeconds(30),
        };
        var pm = Start(options, 2);               // t0+1: two instances, restartTime t0+1
        pm.Advance(2);
        pm.Exit(2, exitCode: 1);                  // t0+3: crash; restart on: slot START, due t0+1+30
        pm.Evaluate();
        var spawn = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>().Subject;
        spawn.NotBefore.Should().Be(pm.Now + TimeSpan.FromSeconds(28));

        pm.Advance(7);                            // t0+10: kill policy; 1 running, LF 0 < 10
        pm.Evaluate();

        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<CancelPendingStart>()
            .Which.Reason.Should().Contain("cancelling the pending start");
        pm.Pending(App).Should().Be(0);

        pm.Advance(10);                           // t0+20: nothing pending any more, so an instance goes
        pm.Evaluate();
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Which.InstanceId.Should().Be(1);
    }

    [Fact]
    public void KillPolicy_VictimThatDoesNotExit_BlocksFurtherRetirement()
    {
        var pm = Start(NoSmoothing, 3);
        pm.Advance(298);                          // t0+300
        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Single().InstanceId.Should().Be(3);

        pm.Advance(300);                          // instance 3 ignores SIGTERM
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("instance 3 is still retiring");

        pm.Advance(10);
        pm.Exit(3);
        pm.Advance(290);
        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Single().InstanceId.Should().Be(2);
    }

    [Theory]
    [InlineData(0, 1)] // total 4: one retired even though 4 <= minProcesses 5 (the check comes after the kill)
    [InlineData(2, 1)] // total 6: 6 - 1 = 5 <= 5 stops after the first app
    [InlineData(4, 2)] // total 8: 8 - 1 = 7 and 8 - 2 = 6 stay above 5, both apps lose one
    public void KillPolicy_MinProcesses_StopsChoosingVictimsAfterTheGlobalTotalReachesIt(int otherInstances, int retired)
    {
        var pm = new FakePm(new ClassicPolicy(NoSmoothing), App, Other);
        StartInstances(pm, App, 2);
        StartInstances(pm, Other, 2);
        pm.OtherInstances = otherInstances;
        pm.Advance(300);

        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Should().HaveCount(retired);
        pm.Decisions.OfType<RetireInstance>().First().AppId.Should().Be(App);
    }

    [Theory]
    [InlineData(3, 1)] // 5 + 5 >= maxProcesses 10: the kill policy runs long before killInterval
    [InlineData(2, 0)] // 4 + 5 < 10: it waits for killInterval
    public void KillPolicy_TotalPlusProcessSlackReachesMaxProcesses_RunsEarly(int otherInstances, int retired)
    {
        var options = NoSmoothing with { MaxProcesses = 10, ProcessSlack = 5 };
        var pm = Start(options, 2);
        pm.OtherInstances = otherInstances;
        pm.Advance(19);

        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Should().HaveCount(retired);
        if (retired > 0)
        {
            pm.Decisions[0].Reason.Should().Contain("processSlack 5 >= maxProcesses 10");
        }
    }

    [Fact]
    public void Statistics_GainValue_SmoothsConnTimeAcrossUpdateIntervals()
    {
        var pm = Start(new ClassicPolicyOptions(), 2); // gainValue 0.5, updateInterval = killInterval = 300 s
        pm.Advance(100);
        pm.C(App, 0, 400);
        pm.Evaluate();
        pm.Advance(199);                          // t0+300: smooth = 0.5*0 + 0.5*400 = 200 s; LF 33, load 66: kept
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Figures["smoothConnTime"].Should().Be(200);

        pm.Advance(300);                          // t0+600: smooth = 0.5*200 + 0.5*0 = 100 s; LF 16, load 32: retire
        pm.Evaluate();

        pm.Last!.Loads.Single().Figures["smoothConnTime"].Should().Be(100);
        pm.Decisions.Should().ContainSingle().Which.Reason.Should().Contain("load factor 16%").And.Contain("32%");
    }

    [Fact]
    public void ScheduleStart_NeverUsedSlot_IsGatedByInitStartDelaySinceTheLastSpawn()
    {
        var pm = Start(NoSmoothing, 1);
        pm.Advance(0.5);
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("initStartDelay is 1 s");

        pm.Advance(0.5);                          // exactly initStartDelay since the last spawn
        pm.T(App);
        pm.Evaluate();

        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>()
            .Which.Should().Match<SpawnInstances>(s => s.Count == 1 && s.NotBefore == null);
    }

    [Fact]
    public void ScheduleStart_SlotThatRanBefore_IsGatedByRestartDelay()
    {
        var pm = Start(NoSmoothing, 2);           // last spawn at t0+1
        pm.Advance(1);
        pm.Exit(2);                               // t0+2: slot 1 free, ran before; not the last, so not restarted
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();

        pm.Advance(3);                            // t0+5: 4 s since the last spawn < restartDelay 5 s
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();

        pm.Advance(1);                            // t0+6: 5 s
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>();
    }

    [Fact]
    public void Requests_StartIgnoredWhileRunning_AndOnePendingStartPerApp()
    {
        var pm = Start(NoSmoothing, 1);
        pm.Advance(5);
        pm.S(App);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty("S is ignored while an instance runs");

        pm.T(App);
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>().Which.Count.Should().Be(1);

        pm.Advance(3);                            // not started yet
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty("a start is already pending");
    }

    [Fact]
    public void Requests_AtMaxProcesses_AreIgnored()
    {
        var pm = Start(NoSmoothing with { MaxProcesses = 6, ProcessSlack = 0 }, 1);
        pm.OtherInstances = 5;                    // 6 + 1 > 6
        pm.Advance(5);
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("maxProcesses 6");

        pm.OtherInstances = 4;
        pm.T(App);
        pm.Evaluate();
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>();
    }

    [Theory]
    [InlineData(false, false, 1, true)]  // the app's last instance crashed, singleThreshold 0: restarted
    [InlineData(false, false, 2, false)] // not the last: its slot just becomes free
    [InlineData(true, false, 2, true)]   // restart on: every exit nobody asked for restarts
    [InlineData(true, true, 2, false)]   // retired by the kill policy: never restarted
    public void Exit_RestartRule(bool restart, bool retired, int instances, bool restarted)
    {
        var pm = Start(NoSmoothing with { Restart = restart, RestartDelay = TimeSpan.Zero }, instances);
        long victim = instances;
        if (retired)
        {
            pm.Advance(300);
            pm.Evaluate();
            victim = pm.Decisions.OfType<RetireInstance>().Single().InstanceId;
        }

        pm.Advance(1);
        pm.Exit(victim, exitCode: retired ? 0 : 1);
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().HaveCount(restarted ? 1 : 0);
        if (restarted)
        {
            pm.Decisions.OfType<SpawnInstances>().Single().Reason.Should().Contain($"instance {victim}");
        }
    }

    [Fact]
    public void Backoff_MoreThanMaxFailedStartsWithNothingLivingMinServerLife_SpacesStartsByFailedStartsDelay()
    {
        var pm = Start(NoSmoothing, 1);           // instance 1 at t0; singleThreshold 0 restarts the last instance
        SpawnInfo? spawn = null;
        for (var failure = 1; failure <= 4; failure++)
        {
            pm.Advance(1);
            pm.Exit(pm.Instances(App).Single().Id, exitCode: 1);
            pm.Evaluate();
            spawn = SpawnInfo.Of(pm);
            if (failure < 4)
            {
                spawn.NotBefore.Should().Be(pm.Now + TimeSpan.FromSeconds(4), "restartDelay 5 s after the last start");
                pm.Advance(4);
                pm.StartDue();
                pm.Evaluate();
            }
        }

        // Fourth failure: 4 > MAX_FAILED_STARTS 3, the slot's process started 1 s ago, no sibling: FAILED_STARTS_DELAY.
        spawn!.NotBefore.Should().Be(pm.Now - TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(600));
        spawn.Reason.Should().Contain("4 exits").And.Contain("failedStartsDelay 600 s");
        pm.Last!.Loads.Single().Figures["backedOff"].Should().Be(1);

        pm.Advance(599);
        pm.StartDue().Should().ContainSingle();
        pm.Evaluate();                            // the backed-off start is made: failures set to 3
        pm.Advance(1);
        pm.Exit(pm.Instances(App).Single().Id, exitCode: 1);
        pm.Evaluate();
        SpawnInfo.Of(pm).NotBefore.Should().Be(pm.Now - TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(600), "one more failure backs off again");
    }

    [Fact]
    public void Backoff_SlotWhoseProcessStartedMoreThanMinServerLifeAgo_RestoresRestartDelay()
    {
        var pm = Start(NoSmoothing, 1);
        for (var failure = 1; failure <= 3; failure++)
        {
            pm.Advance(1);
            pm.Exit(pm.Instances(App).Single().Id, exitCode: 1);
            pm.Evaluate();
            pm.Advance(4);
            pm.StartDue();
            pm.Evaluate();
        }

        pm.Advance(40);                           // this one lives 40 s > minServerLife 30 s, then fails
        pm.Exit(pm.Instances(App).Single().Id, exitCode: 1);
        pm.Evaluate();

        SpawnInfo.Of(pm).NotBefore.Should().BeNull("40 s since the slot's last start resets the failure count");
        pm.Last!.Loads.Single().Figures["failures"].Should().Be(0);
    }

    [Fact]
    public void BinaryChanged_RetiresInstancesStartedBeforeTheChange_AndStartsANewOne()
    {
        var pm = Start(NoSmoothing, 2);           // instances at t0 and t0+1
        var t0 = pm.Now - TimeSpan.FromSeconds(1);
        pm.Advance(9);
        pm.R(App, modifiedAt: t0 + TimeSpan.FromSeconds(0.5));
        pm.Evaluate();
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Which.InstanceId.Should().Be(1,
            "only instance 1 started before the modification; instance 2 still runs, so no start is scheduled");

        pm.Advance(1);
        pm.R(App, modifiedAt: pm.Now);
        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Select(r => r.InstanceId).Should().Equal(2);
        pm.Decisions.OfType<SpawnInstances>().Should().ContainSingle().Which.Reason.Should().Contain("R record");
    }

    [Fact]
    public void Evaluate_NextEvaluation_IsTheEarlierOfKillAndUpdateIntervals()
    {
        var pm = new FakePm(new ClassicPolicy(new ClassicPolicyOptions { KillInterval = TimeSpan.FromSeconds(60) }), App);
        var start = pm.Now;
        pm.Evaluate().NextEvaluation.Should().Be(start + TimeSpan.FromSeconds(60));
        pm.Advance(60);
        pm.Evaluate().NextEvaluation.Should().Be(start + TimeSpan.FromSeconds(120));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsWithEveryProblem()
    {
        var act = () => new ClassicPolicy(new ClassicPolicyOptions { GainValue = 2, ProcessSlack = 60 });
        act.Should().Throw<ArgumentException>().WithMessage("*gainValue 2*").WithMessage("*processSlack 60*");
    }

    // S then T once per second: n instances at t0 .. t0+n-1 (initStartDelay 1 s), epoch at t0.
    private static FakePm Start(ClassicPolicyOptions options, int instances)
    {
        var pm = new FakePm(new ClassicPolicy(options), App);
        StartInstances(pm, App, instances);
        return pm;
    }

    private static void StartInstances(FakePm pm, string app, int instances)
    {
        pm.S(app);
        pm.Evaluate();
        pm.StartDue().Should().ContainSingle();
        for (var i = 1; i < instances; i++)
        {
            pm.Advance(1);
            pm.T(app);
            pm.Evaluate();
            pm.StartDue().Should().ContainSingle();
        }

        pm.Evaluate(); // deliver the last InstanceStarted
        pm.Decisions.Should().BeEmpty();
    }

    private sealed record SpawnInfo(DateTimeOffset? NotBefore, string Reason)
    {
        public static SpawnInfo Of(FakePm pm)
        {
            var spawn = pm.Decisions.OfType<SpawnInstances>().Should().ContainSingle().Subject;
            return new SpawnInfo(spawn.NotBefore, spawn.Reason);
        }
    }

    [Fact]
    public void Requests_AtMaxProcesses_CountAsMaxReached_OncePerStretch()
    {
        var pm = Start(NoSmoothing with { MaxProcesses = 6, ProcessSlack = 0 }, 1);
        pm.OtherInstances = 5;                    // 6 + 1 > 6
        double Reached() => pm.Last!.Loads.Single().Figures[AppLoad.MaxReached];
        pm.Advance(5);
        pm.T(App);
        pm.Evaluate();
        pm.T(App);
        pm.Evaluate();
        Reached().Should().Be(1, "two refused requests in a row are one stretch at the maximum");

        pm.OtherInstances = 4;
        pm.T(App);
        pm.Evaluate();                            // a start goes ahead: the stretch ends
        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>();
        pm.OtherInstances = 6;
        pm.Advance(5);
        pm.T(App);
        pm.Evaluate();
        Reached().Should().Be(2);
    }
}
