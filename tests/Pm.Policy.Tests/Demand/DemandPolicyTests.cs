using Pm.Policy.Tests.Fakes;

namespace Pm.Policy.Tests.Demand;

/// <summary>The default policy's rules: burst scale-up within the spawn budget, scale-down with hysteresis, never a busy victim.</summary>
public sealed class DemandPolicyTests
{
    private const string App = "/srv/fcgi/app.fcgi";

    [Fact]
    public void ColdStart_ManySRecordsFromManyWebProcesses_StartOneInstance()
    {
        // S means "the app is needed": 50 concurrent first requests (and several web processes each reporting
        // them) start one instance; the requests that then still wait send T records.
        var pm = Demand(new DemandPolicyOptions());
        for (var i = 0; i < 50; i++)
        {
            pm.S(App);
        }

        pm.Evaluate();

        var spawn = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>().Subject;
        spawn.Count.Should().Be(1);
        spawn.NotBefore.Should().BeNull();
    }

    [Fact]
    public void ColdStart_AnSRecordDeliveredLate_StillStartsTheApp()
    {
        // A busy PM (or a spool replayed at start) may deliver an S record older than startDelay; with
        // minClassProcesses 0 it is the only reason to start, and it must not be lost.
        var pm = Demand(new DemandPolicyOptions { MinClassProcesses = 0 });
        pm.S(App);
        pm.Advance(1.0);
        pm.Evaluate();

        var spawn = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>().Subject;
        spawn.Count.Should().Be(1);
        spawn.Reason.Should().Contain("a start was requested (S record)");
    }

    [Fact]
    public void ColdStart_OneRequestsSAndFirstTRecord_AreOneWaiterForTheStartingInstance()
    {
        // The front end times its first T record from the request's arrival, so it can come less than startDelay
        // after the same request's S record. One request waiting on one starting instance needs no second one.
        var pm = Demand(new DemandPolicyOptions { MinClassProcesses = 0, SpareProcesses = 0 });
        pm.S(App);
        pm.Evaluate();
        pm.StartDue(InstanceState.Starting).Should().ContainSingle();
        pm.Advance(0.03);
        pm.T(App);
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
    }

    [Fact]
    public void WaitingEstimate_OneRequestsTRecordsAFewMillisecondsCloserThanStartDelay_CountOnce()
    {
        // A timer with millisecond ticks fires a T record 49 ms after the last one now and then.
        var pm = Demand(new DemandPolicyOptions { MinClassProcesses = 0, SpareProcesses = 0 });
        pm.S(App);
        pm.Evaluate();
        pm.StartDue(InstanceState.Starting).Should().ContainSingle();
        pm.Advance(0.05);
        pm.T(App);
        pm.Evaluate();
        pm.Advance(0.049);
        pm.T(App);
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
    }

    [Fact]
    public void ColdStart_RequestsStillWaitingAfterStartDelay_StartThemAllAtOnce()
    {
        var pm = Demand(new DemandPolicyOptions());
        pm.S(App);
        pm.Evaluate();
        var first = pm.StartDue(InstanceState.Starting).Single();
        pm.Advance(0.05);
        pm.SetState(first, InstanceState.Busy);
        pm.T(App, 31);                            // 31 requests waited startDelay behind the busy first instance
        pm.Evaluate();

        var spawn = pm.Decisions.OfType<SpawnInstances>().Single();
        // The instance seen busy for the first time is credited with one waiter; the other 30 get an instance each.
        spawn.Count.Should().Be(30, spawn.Reason);
        spawn.Reason.Should().Contain("30 requests waiting");
    }

    [Fact]
    public void Burst_MoreWaitingThanTheSpawnBudget_StartsTheBudgetThenRefillsAtSpawnRate()
    {
        var pm = Demand(new DemandPolicyOptions { SpawnBurst = 10, SpawnRate = 4, MaxClassProcesses = 50 });
        pm.T(App, 30);

        var result = pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(10);
        pm.Decisions[0].Reason.Should().Contain("starting 10 of 30 needed").And.Contain("spawn budget");
        result.NextEvaluation.Should().Be(pm.Now + TimeSpan.FromSeconds(0.25), "one start per 1/spawnRate");

        pm.Advance(0.5);
        pm.T(App, 30);                            // still waiting: one T each per startDelay
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(2, "0.5 s at 4 starts/s");
    }

    [Fact]
    public void WaitingEstimate_SignalsOlderThanStartDelayExpire_AndAnIdleInstanceMeansNothingWaits()
    {
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        var id = pm.Spawn(App);                   // idle: the front end hands requests to it first
        pm.T(App, 5);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();

        pm.SetState(id, InstanceState.Busy);
        pm.T(App, 3);
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(3);

        pm.StartDue(InstanceState.Starting);
        pm.Advance(0.06);                         // past startDelay 0.05 s: the three T records no longer count
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Figures["waiting"].Should().Be(0);
    }

    [Fact]
    public void DrainCredit_MeasuredSpawnLatencyAndServiceTime_LeaveWaitersToBusyInstances()
    {
        var pm = Demand(new DemandPolicyOptions());
        pm.S(App);
        pm.Evaluate();
        var id = pm.StartDue(InstanceState.Starting).Single();
        pm.Evaluate();
        pm.Advance(0.2);
        pm.SetState(id, InstanceState.Idle);      // spawn latency 0.2 s
        pm.Evaluate();
        pm.SetState(id, InstanceState.Busy);
        pm.Advance(0.05);
        pm.C(App, 0, 0.05);                       // service time 0.05 s
        pm.T(App, 10);

        pm.Evaluate();

        // credit = floor(1 busy * 0.2 / 0.05 - 1 completion/s * 0.2) = floor(3.8) = 3 of the 10 waiting;
        // wanted = 1 busy + 7.
        var spawn = pm.Decisions.OfType<SpawnInstances>().Single();
        spawn.Count.Should().Be(7);
        spawn.Reason.Should().Contain("3 of them for the 1 busy and 0 starting instances");
    }

    [Fact]
    public void AcceptQueue_ConnectionsWaitingBehindBusyInstances_StartInstancesBeforeAnyTRecord()
    {
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        var ids = Enumerable.Range(0, 4).Select(_ => pm.Spawn(App, InstanceState.Busy)).ToList();
        pm.Queued[App] = 6;                       // no service time measured yet: no drain credit

        pm.Evaluate();

        var spawn = pm.Decisions.OfType<SpawnInstances>().Single();
        spawn.Count.Should().Be(6);
        spawn.Reason.Should().Contain("6 connections waiting in the accept queue");
        pm.Last!.Loads.Single().Figures["queued"].Should().Be(6);
    }

    [Fact]
    public void DrainCredit_ASaturatedAppsQueueDoesNotDrain_SoItGetsNoCredit()
    {
        // 4 busy instances, L 0.2 s, s 0.05 s: they would take 16 queued requests within L, but 80 completions in the
        // last second say 16 new ones arrive meanwhile: credit floor(16 - 80 * 0.2) = 0, all 6 queued get instances.
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        pm.Evaluate();
        var ids = pm.StartDue(InstanceState.Starting).ToList();
        pm.Evaluate();
        pm.Advance(0.2);
        pm.SetState(ids.Single(), InstanceState.Idle);
        pm.Evaluate();
        pm.SetState(ids.Single(), InstanceState.Busy);
        for (var i = 0; i < 3; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        for (var i = 0; i < 80; i++)
        {
            pm.Advance(0.01);
            pm.C(App, 0, 0.05);
        }

        pm.Queued[App] = 6;
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(6);
    }

    [Fact]
    public void DrainCredit_AnAppCompletingMostOfWhatItsBusyInstancesCan_IsSaturated()
    {
        // 4 busy, L 0.2 s, s 0.05 s: capacity 80/s. 70 completions in the last second (0.875 of it): the formula
        // would credit floor(16 - 70 * 0.2) = 2 of the 2 queued, but that difference is noise; both get instances.
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        pm.Evaluate();
        var first = pm.StartDue(InstanceState.Starting).Single();
        pm.Evaluate();
        pm.Advance(0.2);
        pm.SetState(first, InstanceState.Idle);
        pm.Evaluate();
        pm.SetState(first, InstanceState.Busy);
        for (var i = 0; i < 3; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        for (var i = 0; i < 70; i++)
        {
            pm.Advance(0.01);
            pm.C(App, 0, 0.05);
        }

        pm.Queued[App] = 2;
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(2);
    }

    [Fact]
    public void AcceptQueue_ShortRequestsThatBusyInstancesClearBeforeANewOneIsUp_StartNothing()
    {
        // Light load of fast requests: a connection or two is often queued for a moment behind busy instances.
        // With spawn latency 0.2 s and service 0.01 s, each busy instance takes 20 of them before a new one is up.
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        pm.Evaluate();
        var id = pm.StartDue(InstanceState.Starting).Single();
        pm.Evaluate();
        pm.Advance(0.2);
        pm.SetState(id, InstanceState.Idle);
        pm.Evaluate();
        pm.SetState(id, InstanceState.Busy);
        pm.Advance(0.01);
        pm.C(App, 0, 0.01);
        pm.Queued[App] = 2;

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
        pm.Last!.Loads.Single().Figures["waiting"].Should().Be(2);
    }

    [Fact]
    public void AcceptQueue_ConnectionsIdleInstancesAreAboutToTake_AreNotWaiting()
    {
        var pm = Demand(new DemandPolicyOptions { SpareProcesses = 0 });
        pm.S(App);
        pm.Spawn(App, InstanceState.Busy);
        pm.Spawn(App, InstanceState.Idle);
        pm.Spawn(App, InstanceState.Idle);
        pm.Queued[App] = 2;

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
        pm.Last!.Loads.Single().Figures["waiting"].Should().Be(0);
    }

    [Fact]
    public void ScaleDown_InstancesAScaleUpStarted_AreHeldForIdleTimeoutThoughSomeLookIdle()
    {
        // The first second of a burst: the per-second average is still low and, between a closed loop's requests,
        // some instances look idle. Retiring them then would undo the scale-up.
        var pm = Demand(new DemandPolicyOptions { IdleTimeout = TimeSpan.FromSeconds(10), SpareProcesses = 0 });
        pm.S(App);
        pm.Spawn(App, InstanceState.Busy);
        pm.Queued[App] = 9;
        pm.Evaluate();
        var started = pm.StartDue(InstanceState.Idle);
        started.Should().HaveCount(9);
        pm.Queued[App] = 0;
        pm.Advance(0.3);
        foreach (var id in started.Take(6))
        {
            pm.SetState(id, InstanceState.Busy);
        }

        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("holding the instances started at");

        pm.Advance(10);
        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Should().NotBeEmpty("after idleTimeout the usual rule applies");
    }

    [Fact]
    public void ScaleDown_AfterLoadEnds_WaitsForIdleTimeoutThenRetiresDownToTheFloor()
    {
        var pm = Demand(new DemandPolicyOptions { IdleTimeout = TimeSpan.FromSeconds(10) });
        pm.S(App);
        var ids = Enumerable.Range(0, 4).Select(_ => pm.Spawn(App)).ToList();
        pm.Evaluate();
        foreach (var id in ids)
        {
            pm.SetState(id, InstanceState.Busy);
        }

        pm.Evaluate();
        pm.Advance(2);                            // two seconds with 4 busy
        foreach (var id in ids)
        {
            pm.SetState(id, InstanceState.Idle);
        }

        var idle = pm.Evaluate();
        pm.Decisions.Should().BeEmpty("the peak of 4 busy keeps 4 + spareProcesses 1");
        idle.NextEvaluation.Should().NotBeNull("the policy must be woken when the peak leaves the window");

        pm.Advance(7);
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty("still inside idleTimeout");

        pm.Advance(4);                            // the busy seconds have left the 10 s window
        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Select(r => r.InstanceId).Should().Equal(ids[3], ids[2], ids[1]);
        pm.Decisions[0].Reason.Should().Contain("need 1 instances").And.Contain("minClassProcesses 1");
    }

    [Fact]
    public void ScaleDown_NeverRetiresAnInstanceThatHoldsARequest()
    {
        var pm = Demand(new DemandPolicyOptions());
        pm.S(App);
        var draining = pm.Spawn(App);             // longest idle, but the PM still holds a request on it
        pm.Advance(1);
        var ids = Enumerable.Range(0, 4).Select(_ => pm.Spawn(App)).ToList();
        pm.SetState(draining, InstanceState.Idle, holdsRequest: true);
        for (var i = 0; i < 3; i++)
        {
            pm.SetState(ids[i], InstanceState.Busy);
        }

        pm.Evaluate();                            // 5 instances, keep 3 busy + 1 spare = 4

        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Which.InstanceId.Should().Be(ids[3]);
        pm.Decisions.OfType<RetireInstance>().Select(r => r.InstanceId).Should().NotContain(ids.Take(3).Append(draining));
    }

    [Fact]
    public void MinClassProcesses_IsKeptOnceRequested_AndZeroLetsAnIdleAppScaleToZero()
    {
        var pm = Demand(new DemandPolicyOptions { MinClassProcesses = 2 });
        pm.Evaluate();
        pm.Decisions.Should().BeEmpty("nobody asked for the app yet");

        pm.S(App);
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Should().Match<SpawnInstances>(
            s => s.Count == 2 && s.Reason.Contains("0 instances < minClassProcesses 2"));

        var zero = Demand(new DemandPolicyOptions { MinClassProcesses = 0, IdleTimeout = TimeSpan.FromSeconds(5) });
        zero.S(App);
        var id = zero.Spawn(App, InstanceState.Busy);
        zero.Evaluate();
        zero.Advance(1);
        zero.SetState(id, InstanceState.Idle);
        zero.Evaluate();
        zero.Decisions.Should().BeEmpty("it was busy within idleTimeout");
        zero.Advance(5);
        zero.Evaluate();
        zero.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Which.InstanceId.Should().Be(id);
    }

    [Fact]
    public void Backoff_MoreFailuresInARowThanMaxFailedStarts_DelaysStartsExponentially()
    {
        var pm = Demand(new DemandPolicyOptions { BackoffJitter = 0, RestartDelay = TimeSpan.FromSeconds(1) });
        pm.S(App);
        pm.Evaluate();
        var delays = new List<TimeSpan?>();
        for (var failure = 1; failure <= 5; failure++)
        {
            var id = pm.StartDue().Single();
            pm.Evaluate();
            pm.Advance(0.1);
            pm.Exit(id, exitCode: 255);           // dies before serving anything
            pm.T(App);                            // a request is still waiting
            var result = pm.Evaluate();
            if (pm.Decisions.OfType<SpawnInstances>().Any())
            {
                delays.Add(null);
                continue;
            }

            delays.Add(result.NextEvaluation - pm.Now);
            pm.Last!.Loads.Single().Summary.Should().Contain($"after {failure} failures");
            pm.Advance((result.NextEvaluation!.Value - pm.Now).TotalSeconds);
            pm.T(App);
            pm.Evaluate();
            pm.Decisions.OfType<SpawnInstances>().Should().ContainSingle("the backoff is over");
        }

        delays.Should().Equal(null, null, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Backoff_Jitter_ComesFromTheInjectedRandomWithinItsFraction()
    {
        TimeSpan BackoffWith(int seed)
        {
            var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { MaxFailedStarts = 0, BackoffJitter = 0.2 }, new Random(seed)), App);
            pm.S(App);
            pm.Evaluate();
            var id = pm.StartDue().Single();
            pm.Evaluate();
            pm.Exit(id, exitCode: 1);
            pm.T(App);
            return pm.Evaluate().NextEvaluation!.Value - pm.Now;
        }

        BackoffWith(7).Should().Be(BackoffWith(7), "the same seed gives the same jitter");
        Enumerable.Range(1, 20).Select(BackoffWith).Should().OnlyContain(d => d >= TimeSpan.FromSeconds(0.8) && d <= TimeSpan.FromSeconds(1.2))
            .And.Subject.Distinct().Count().Should().BeGreaterThan(1);
    }

    [Fact]
    public void BinaryChanged_StartsReplacements_RetiresOldInstancesOnlyOnceIdle()
    {
        var pm = Demand(new DemandPolicyOptions());
        pm.S(App);
        var idle = pm.Spawn(App);
        var busy = pm.Spawn(App);
        pm.SetState(busy, InstanceState.Busy);
        pm.Evaluate();
        pm.Advance(5);
        pm.R(App);

        pm.Evaluate();

        pm.Decisions.OfType<RetireInstance>().Select(r => r.InstanceId).Should().Equal(idle);
        pm.Decisions.OfType<SpawnInstances>().Single().Should().Match<SpawnInstances>(s => s.Count == 2 && s.Reason.Contains("binary changed"));

        pm.StartDue();
        pm.Advance(1);
        pm.SetState(busy, InstanceState.Idle);
        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Select(r => r.InstanceId).Should().Equal(busy);
    }

    [Theory]
    [InlineData(32, 32)]
    [InlineData(10, 10)]
    public void ScaleUp_NeverBeyondMaxClassProcesses(int maxClass, int started)
    {
        var pm = Demand(new DemandPolicyOptions { MaxClassProcesses = maxClass, SpawnBurst = 64 });
        pm.T(App, 40);

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(started);
        pm.Decisions[0].Reason.Should().Contain($"maxClassProcesses {maxClass}");
    }

    [Fact]
    public void MaxProcessesPressure_ARequestedAppRetiresAnotherAppsLongIdleInstance_AndStartsWhenItExits()
    {
        // With minClassProcesses each requested app keeps an instance for ever: at maxProcesses, the next app would
        // never start. Another app's instance idle for ReclaimAfterIdle makes room instead.
        const string Other = "/srv/fcgi/other.fcgi";
        // minClassProcesses 2: Other keeps both of its instances on its own account.
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { MaxProcesses = 2, MinClassProcesses = 2, SpareProcesses = 0 }, new Random(1)), App, Other);
        pm.S(Other);
        var idle = pm.Spawn(Other);
        var young = pm.Spawn(Other);
        pm.Evaluate();
        pm.Advance(0.5);
        pm.SetState(young, InstanceState.Idle);   // idle for only 0.5 s when App asks
        pm.Advance(0.6);

        pm.S(App);
        pm.Evaluate();

        var retire = pm.Decisions.OfType<RetireInstance>().Should().ContainSingle(string.Join(" / ", pm.Last!.Loads.Select(l => l.Summary))).Subject;
        retire.AppId.Should().Be(Other);
        retire.InstanceId.Should().Be(idle, "the one idle for 1.1 s; the other was idle only 0.6 s");
        retire.Reason.Should().Contain($"{App} has requests waiting");
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("no room until the retired instance exits");

        pm.Advance(0.05);
        pm.T(App);                                // the request still waits
        pm.Evaluate();
        pm.Decisions.OfType<RetireInstance>().Should().BeEmpty("one retiring instance already covers the one start needed");

        pm.Exit(idle);
        pm.Advance(0.05);
        pm.T(App);
        pm.Evaluate();
        var spawn = pm.Decisions.OfType<SpawnInstances>().Should().ContainSingle("the reclaimed app does not start its minClassProcesses instance back").Subject;
        spawn.AppId.Should().Be(App);
    }

    [Fact]
    public void MaxProcessesPressure_SpareCapacityAloneNeverRetiresAnotherAppsInstances()
    {
        const string Other = "/srv/fcgi/other.fcgi";
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { MaxProcesses = 2, SpareProcesses = 1 }, new Random(1)), App, Other);
        pm.S(Other);
        pm.Spawn(Other);
        pm.S(App);
        var busy = pm.Spawn(App, InstanceState.Busy);
        pm.Evaluate();
        pm.Advance(5);
        pm.SetState(busy, InstanceState.Busy);

        pm.Evaluate();                            // App wants a spare (busy + 1), nothing waits

        pm.Decisions.OfType<RetireInstance>().Should().BeEmpty();
    }

    private static FakePm Demand(DemandPolicyOptions options) => new(new DemandPolicy(options, new Random(1)), App);

    [Fact]
    public void MaxReached_CountsEachStretchHeldBackByMaxClassProcessesOnce()
    {
        var pm = Demand(new DemandPolicyOptions { MaxClassProcesses = 2, SpawnBurst = 64, SpareProcesses = 0 });
        double Reached() => pm.Last!.Loads.Single().Figures[AppLoad.MaxReached];
        pm.T(App, 5);
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(2, "maxClassProcesses 2 of the 5 needed");
        Reached().Should().Be(1);

        pm.StartDue(InstanceState.Busy);
        pm.Advance(0.5);
        pm.T(App, 5);
        pm.Evaluate();
        Reached().Should().Be(1, "still held back: the same stretch");
    }

    [Fact]
    public void MaxReached_IsZero_WhenEveryStartWanted_Went()
    {
        var pm = Demand(new DemandPolicyOptions { MaxClassProcesses = 8, SpawnBurst = 64 });
        pm.T(App, 3);
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(3);
        pm.Last!.Loads.Single().Figures[AppLoad.MaxReached].Should().Be(0);
    }
}
