using Pm.Policy.Tests.Fakes;

namespace Pm.Policy.Tests.Demand;

/// <summary>
/// The demand policy where the cores, not the instances, are the limit: short requests start at most shortPerCore
/// instances per core, and a cold burst waits for its first instance to show how long a request takes.
/// </summary>
public sealed class DemandShortRequestsTests
{
    private const string App = "/srv/fcgi/hello.fcgi";

    [Fact]
    public void ShortRequests_QueueBeyondFourPerCore_StartsNothingMore()
    {
        var pm = Loaded(cores: 2, instances: 8, completionsPerSecond: 7000, serviceSeconds: 0.00005);
        pm.Queued[App] = 56;                      // c=64 in front of 8 instances

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("8 instances of 1 ms requests already use 2 cores");
        pm.Last!.Loads.Single().Summary.Should().Contain("beyond shortPerCore 4 × 2 cores they would wait for a core");
        pm.Last.Loads.Single().Figures["occupancy"].Should().BeApproximately(8 * 0.91 / 7000, 2e-5,
            "busy / completions per second, not the front end's 0.05 ms from the response's first byte");
    }

    [Fact]
    public void ShortRequests_TRecordsBeyondFourPerCore_StartNothingMore()
    {
        var pm = Loaded(cores: 2, instances: 8, completionsPerSecond: 7000, serviceSeconds: 0.00005);
        pm.T(App, 40);                            // a stall of the whole machine: every request waited startDelay

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
    }

    [Fact]
    public void ShortRequests_BelowTheCap_StartWhatTheQueueNeeds()
    {
        var pm = Loaded(cores: 4, instances: 8, completionsPerSecond: 7000, serviceSeconds: 0.00005);
        pm.Queued[App] = 56;

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(8, "16 instances on 4 cores");
    }

    [Fact]
    public void LongRequests_AreNotCappedByTheCores()
    {
        // 8 busy instances completing 160 requests/s: each request holds its instance 50 ms (sleeping, say).
        var pm = Loaded(cores: 2, instances: 8, completionsPerSecond: 160, serviceSeconds: 0.00005);
        pm.Queued[App] = 24;

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(24);
    }

    [Fact]
    public void UnknownCores_NoCap()
    {
        var pm = Loaded(cores: null, instances: 8, completionsPerSecond: 7000, serviceSeconds: 0.00005);
        pm.Queued[App] = 56;

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().ContainSingle("the simulator knows no cores: nothing is capped");
    }

    [Fact]
    public void ColdBurst_QueueWaitsForTheFirstInstanceThenForItsFirstAnswer()
    {
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions(), new Random(1)), App) { Cores = 2 };
        pm.S(App);
        pm.Evaluate();
        var first = pm.StartDue(InstanceState.Starting).Single();
        pm.Queued[App] = 63;
        pm.Advance(0.003);

        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("nothing is known of the app yet; its first instance is coming");

        pm.Advance(0.002);
        pm.SetState(first, InstanceState.Busy);   // up after 5 ms, and taking a request
        var held = pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty();
        held.Loads.Single().Figures["coldHeld"].Should().Be(63);
        held.NextEvaluation.Should().Be(pm.Now + TimeSpan.FromSeconds(0.005), "min(spawn latency, startDelay) after it came up");

        pm.Advance(0.005);                        // no answer within 5 ms: requests are not hello-world ones
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(7, "up to 4 per core while nothing is measured");
    }

    [Fact]
    public void ColdBurst_FirstAnswerComesQuickly_TheDrainCreditTakesOver()
    {
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { SpareProcesses = 0 }, new Random(1)), App) { Cores = 2 };
        pm.S(App);
        pm.Evaluate();
        var first = pm.StartDue(InstanceState.Starting).Single();
        pm.Advance(0.005);
        pm.SetState(first, InstanceState.Busy);
        pm.Queued[App] = 10;
        pm.Evaluate();
        pm.Advance(0.001);
        pm.C(App, 0.0009, 0.0001);                 // 0.1 ms of service: one instance drains 50 of them per spawn latency

        var result = pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("the busy instance takes the 10 before another could be up");
        result.Loads.Single().Figures["coldHeld"].Should().Be(0, "a completion ended the hold");
    }

    [Fact]
    public void AnswersAtTheEnd_AreKnownLongAfterTheSecondRoundOfTheCap()
    {
        // 8 instances of an app that sleeps 50 ms and then answers whole: the front end sees no service time (all
        // 50 ms are before the first byte), so only the rate of answers tells how long a request holds its instance.
        var pm = Capped();
        Round(pm, 8, spreadSeconds: 0.002);       // the first round: 8 answers at once
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("8 answers at once may be 8 hello-world requests");

        pm.Advance(0.048);
        Round(pm, 8, spreadSeconds: 0.002);       // the second, one service time later: 16 answers over 50 ms
        var result = pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Single().Count.Should().Be(24, "8 busy instances answering 16 in 50 ms hold each request 25 ms or more");
        result.Loads.Single().Figures["occupancy"].Should().BeGreaterThan(DemandPolicy.ShortRequest.TotalSeconds);
    }

    [Fact]
    public void TwoRoundsOfQuickAnswers_StayShort()
    {
        var pm = Capped();
        Round(pm, 8, spreadSeconds: 0.001);
        pm.Evaluate();
        Round(pm, 8, spreadSeconds: 0.001);       // 16 answers within 2 ms

        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("16 answers in 2 ms from 8 instances are short requests");
    }

    [Fact]
    public void EarlyInABurst_AFewAnswersOverAShortSpan_StayShort()
    {
        // 8 instances busy, but the 20 answers so far came from the first ones, over 30 ms: 11 ms a request by
        // Little's law, which is not yet enough to call hello-world requests long.
        var pm = Capped();
        Round(pm, 20, spreadSeconds: 0.03);

        var result = pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty(result.Loads.Single().Summary);
        result.Loads.Single().Figures["occupancy"].Should().BeApproximately(0.0114, 0.001);
    }

    [Theory]
    [InlineData(8)]   // at the cap: no spare
    [InlineData(9)]   // a spare started before: no next one
    public void ShortRequests_WaitingForACore_GetNoSpare_ThatWouldOnlyJoinTheQueue(int instances)
    {
        // hello-world at c=64 on 2 cores: every instance busy, connections always queued. A spare takes one of them at
        // once, counts busy, and the next evaluation wanted one more spare: 8, 9, 10, 11 instances over 30 s.
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions(), new Random(1)), App) { Cores = 2 };
        pm.S(App);
        for (var i = 0; i < instances; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        pm.Queued[App] = 64 - instances;
        var started = 0;
        for (var second = 0; second < 3; second++)
        {
            for (var i = 0; i < 100; i++)
            {
                pm.Advance(0.01);
                for (var j = 0; j < 100; j++)
                {
                    pm.C(App, 0.003, 0.0001);
                }

                pm.Evaluate();
                started += pm.Decisions.OfType<SpawnInstances>().Sum(d => d.Count);
            }
        }

        started.Should().Be(0, pm.Last!.Loads.Single().Summary);
    }

    [Fact]
    public void InstancesThatJustTookQueuedConnections_AreNotDividedByAnswersTheyHadNoPartIn()
    {
        // Seen at c=64 on 2 cores: 2 hello-world instances answered 54 requests over 70 ms (under 3 ms each), then 6
        // new ones took queued connections at once. 8 busy against that rate read as 10.4 ms a request, past the
        // threshold, and 24 more instances started for requests that wait for a core.
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { SpareProcesses = 0 }, new Random(1)), App) { Cores = 2 };
        pm.S(App);
        pm.Spawn(App, InstanceState.Busy);
        pm.Spawn(App, InstanceState.Busy);
        pm.Evaluate();
        for (var i = 0; i < 54; i++)
        {
            pm.Advance(0.07 / 54);
            pm.C(App, 0.0005, 0.0001);
            if (i % 10 == 9)
            {
                pm.Evaluate();
            }
        }

        for (var i = 0; i < 6; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        pm.Advance(0.002);
        pm.Queued[App] = 53;
        var result = pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Sum(d => d.Count).Should().Be(0, result.Loads.Single().Summary);
        result.Loads.Single().Figures["occupancy"].Should().BeLessThan(DemandPolicy.ShortRequest.TotalSeconds / 2);
    }

    [Theory]
    [InlineData(60, 7)]   // c=64 on one saturated instance: up to the short cap of 8 on 2 cores
    [InlineData(1, 0)]    // no more waiting than the idle instance takes next: it is idle
    public void AnInstanceThatLooksIdle_WithMoreQueuedThanItTakes_IsCountedBusy(int queued, int started)
    {
        // A hello-world instance answering 5,000 requests/s: it holds each connection for 0.2 ms, and the probe,
        // reading the kernel's socket table and its descriptors a moment apart, sees it idle.
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { SpareProcesses = 0 }, new Random(1)), App) { Cores = 2 };
        pm.S(App);
        var instance = pm.Spawn(App, InstanceState.Starting);
        pm.Evaluate();
        pm.Advance(0.005);
        pm.SetState(instance, InstanceState.Idle); // up after 5 ms: the spawn latency the drain credit uses
        pm.Evaluate();
        pm.Advance(0.02);
        for (var i = 0; i < 2500; i++)
        {
            pm.Advance(0.5 / 2500);
            pm.C(App, 0.0005, 0.00005);
        }

        pm.Queued[App] = queued;
        pm.Evaluate();

        pm.Decisions.OfType<SpawnInstances>().Sum(d => d.Count).Should().Be(started, pm.Last!.Loads.Single().Summary);
    }

    // A cold burst held at the short cap: 8 busy instances on 2 cores, 24 connections waiting, nothing answered yet.
    private static FakePm Capped()
    {
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { SpareProcesses = 0 }, new Random(1)), App) { Cores = 2 };
        pm.S(App);
        for (var i = 0; i < 8; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        pm.Queued[App] = 24;
        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("while nothing is measured, 4 per core");
        return pm;
    }

    // `count` completions of requests that spent 50 ms before their first byte, spread over `spreadSeconds`.
    private static void Round(FakePm pm, int count, double spreadSeconds)
    {
        for (var i = 0; i < count; i++)
        {
            pm.Advance(spreadSeconds / count);
            pm.C(App, 0.05, 0.00005);
        }
    }

    // An app of `instances` busy instances that completed `completionsPerSecond` requests over the last second.
    private static FakePm Loaded(int? cores, int instances, int completionsPerSecond, double serviceSeconds)
    {
        var pm = new FakePm(new DemandPolicy(new DemandPolicyOptions { SpareProcesses = 0, MaxClassProcesses = 64 }, new Random(1)), App) { Cores = cores };
        pm.S(App);
        for (var i = 0; i < instances; i++)
        {
            pm.Spawn(App, InstanceState.Busy);
        }

        pm.Evaluate();
        pm.Advance(0.02);
        pm.Evaluate();
        var count = completionsPerSecond;
        for (var i = 0; i < count; i++)
        {
            pm.Advance(0.9 / count);
            pm.C(App, 0.0005, serviceSeconds);
        }

        pm.Evaluate();
        pm.Decisions.OfType<SpawnInstances>().Should().BeEmpty("the set-up itself starts nothing");
        pm.Advance(0.01);
        return pm;
    }
}
