using Pm.Engine;
using Pm.Policy.Tests.Fakes;
using Pm.Simulation;

namespace Pm.Policy.Tests.Simulation;

public sealed class SimulationRunnerTests
{
    private const string App = "/srv/fcgi/app.fcgi";

    [Theory]
    [InlineData("classic")]
    [InlineData("demand")]
    public void OneRequest_ColdStart_WaitsExactlyTheSpawnLatency(string policy)
    {
        var spec = Spec([new TraceRequest(TimeSpan.FromSeconds(1), App, TimeSpan.FromMilliseconds(50))], PolicyRunSpec.Parse(policy));

        var report = SimulationRunner.Run(spec).Single();

        report.Should().Match<PolicyRunReport>(r => r.Served == 1 && r.Rejected == 0 && r.Unfinished == 0
            && r.Spawns == 1 && r.Kills == 0 && r.MaxInstances == 1 && r.PolicyName == policy);
        report.P50Wait.Should().Be(TimeSpan.FromSeconds(0.2));
        report.P99Wait.Should().Be(TimeSpan.FromSeconds(0.2));
        report.InstanceSeconds.Should().BeApproximately(10, 1e-9, "one instance from t = 1 s to the end at 1 + coolDown 10 s");
    }

    [Fact]
    public void OneRequest_Spare_KeepsAnIdleSpareOnceTheFirstInstanceIsBusy()
    {
        var spec = Spec([new TraceRequest(TimeSpan.FromSeconds(1), App, TimeSpan.FromMilliseconds(50))], PolicyRunSpec.Parse("spare"));

        var report = SimulationRunner.Run(spec).Single();

        report.Spawns.Should().Be(2);
        report.InstanceSeconds.Should().BeApproximately(10 + 9.8, 1e-9, "the spare is spawned when the first turns busy at 1.2 s");
    }

    [Fact]
    public void WaitingLongerThanAppConnTimeout_IsRejected()
    {
        var requests = Enumerable.Range(0, 3).Select(_ => new TraceRequest(TimeSpan.Zero, App, TimeSpan.FromSeconds(10))).ToList();
        var spec = Spec(requests, PolicyRunSpec.Parse("classic"), PolicyRunSpec.Parse("demand")) with
        {
            AppConnTimeout = TimeSpan.FromSeconds(1),
        };

        var reports = SimulationRunner.Run(spec);

        reports[0].Should().Match<PolicyRunReport>(r => r.Served == 1 && r.Rejected == 2, "classic starts one instance per startDelay 3 s");
        reports[1].Should().Match<PolicyRunReport>(r => r.Served == 3 && r.Rejected == 0 && r.Spawns == 4,
            "demand starts one per S record at once, then a spare while all three are busy");
    }

    [Fact]
    public void FrontEndModel_ReportsSTAndCRecords_AndHoldsStartsUntilNotBefore()
    {
        ScriptedPolicy? policy = null;
        var run = new PolicyRunSpec("scripted", (_, _) => policy = new ScriptedPolicy(TimeSpan.FromSeconds(0.5),
            input => policy!.Inputs.Count == 1 ? [new SpawnInstances(App, 1, input.Now.AddSeconds(2), "test")] : []));
        var spec = Spec([new TraceRequest(TimeSpan.Zero, App, TimeSpan.FromMilliseconds(100))], run);

        var report = SimulationRunner.Run(spec).Single();

        report.P50Wait.Should().Be(TimeSpan.FromSeconds(2.2));
        var events = policy!.Inputs.SelectMany(i => i.Events).Select(e => (e.GetType().Name, (e.At - spec.Start).TotalSeconds)).ToList();
        events.Should().Equal(
            ("StartRequested", 0.0), ("MoreRequested", 0.5), ("MoreRequested", 1.0), ("MoreRequested", 1.5),
            ("InstanceStarted", 2.0), ("MoreRequested", 2.0), ("RequestCompleted", 2.3));
        var completed = policy.Inputs.SelectMany(i => i.Events).OfType<RequestCompleted>().Single();
        (completed.QueueTime, completed.ServiceTime).Should().Be((TimeSpan.FromSeconds(2.2), TimeSpan.FromMilliseconds(100)));
        policy.Inputs.Where(i => i.Now - spec.Start < TimeSpan.FromSeconds(2)).Skip(1)
            .Should().OnlyContain(i => i.Apps.Single().PendingStarts == 1);
    }

    [Fact]
    public void CancelPendingStart_DropsHeldStarts()
    {
        var (run, policy) = HoldCancelThenStart();
        // Without the accept-queue probe, the request that still waits is heard of only through its T records.
        var spec = Spec([new TraceRequest(TimeSpan.Zero, App, TimeSpan.FromMilliseconds(100))], run) with
        {
            Engine = new ScalingEngineOptions { ProbeInterval = TimeSpan.Zero },
        };

        var report = SimulationRunner.Run(spec).Single();

        report.Should().Match<PolicyRunReport>(r => r.Spawns == 1 && r.CancelledStarts == 1);
        report.P50Wait.Should().Be(TimeSpan.FromSeconds(1.2), "spawned at the T record of 1.0 s, up 0.2 s later");
        report.DecisionLog.Should().HaveCount(3).And.Contain(l => l.Contains("cancel pending starts: changed my mind"));
    }

    [Fact]
    public void CancelPendingStart_RequestStillQueued_ProbeAsksThePolicyAgainWithin20Ms()
    {
        var (run, policy) = HoldCancelThenStart();
        var spec = Spec([new TraceRequest(TimeSpan.Zero, App, TimeSpan.FromMilliseconds(100))], run);

        var report = SimulationRunner.Run(spec).Single();

        (policy().Inputs[2].Now - spec.Start).Should().Be(TimeSpan.FromSeconds(0.52), "as in the PM, the probe after the cancel at 0.5 s finds the request queued with nothing to take it");
        report.P50Wait.Should().Be(TimeSpan.FromSeconds(0.72), "spawned at 0.52 s, up 0.2 s later");
    }

    [Fact]
    public void RetireInstance_BusyInstance_FinishesItsRequestThenExits()
    {
        ScriptedPolicy? policy = null;
        var run = new PolicyRunSpec("scripted", (_, _) => policy = new ScriptedPolicy(TimeSpan.FromSeconds(5), input =>
        {
            var app = input.Apps.Single();
            if (app.Instances.Count == 0 && app.PendingStarts == 0 && !input.Events.OfType<InstanceExited>().Any())
            {
                return [new SpawnInstances(App, 1, null, "start")];
            }

            return app.Instances.Where(i => i.State == InstanceState.Busy).Select(i => (Decision)new RetireInstance(App, i.InstanceId, "go")).ToList();
        }));
        var spec = Spec([new TraceRequest(TimeSpan.Zero, App, TimeSpan.FromSeconds(1))], run) with { StopLatency = TimeSpan.FromSeconds(0.5) };

        var report = SimulationRunner.Run(spec).Single();

        var exit = policy!.Inputs.SelectMany(i => i.Events).OfType<InstanceExited>().Single();
        exit.WasRetired.Should().BeTrue();
        exit.Lifetime.Should().Be(TimeSpan.FromSeconds(1.7), "up at 0.2 s, request done at 1.2 s, stopped 0.5 s later");
        report.Should().Match<PolicyRunReport>(r => r.Kills == 1 && r.Served == 1 && r.Unfinished == 0);
        report.InstanceSeconds.Should().BeApproximately(1.7, 1e-9);
    }

    [Fact]
    public void Run_SameSpecTwice_GivesIdenticalReports()
    {
        var spec = new SimulationSpec(TraceGenerator.Burst(), [PolicyRunSpec.Parse("classic"), PolicyRunSpec.Parse("spare"), PolicyRunSpec.Parse("demand")])
        {
            SpawnLatency = new LogNormalSpawnLatency(TimeSpan.FromSeconds(0.2), 0.5),
            Seed = 42,
        };

        var first = SimulationRunner.Run(spec);
        var second = SimulationRunner.Run(spec);

        for (var i = 0; i < first.Count; i++)
        {
            second[i].Should().BeEquivalentTo(first[i], o => o.Excluding(r => r.Timeline));
            second[i].Timeline.Instances.Should().Equal(first[i].Timeline.Instances);
            second[i].Timeline.Queue.Should().Equal(first[i].Timeline.Queue);
        }
    }

    [Fact]
    public void BurstTrace_DemandPolicy_BeatsClassicOnP99Wait()
    {
        var spec = new SimulationSpec(TraceGenerator.Burst(), [PolicyRunSpec.Parse("classic"), PolicyRunSpec.Parse("demand")]);

        var reports = SimulationRunner.Run(spec);

        var (classic, demand) = (reports[0], reports[1]);
        classic.P99Wait.Should().BeGreaterThan(TimeSpan.FromSeconds(5), "classic adds one instance per startDelay 3 s");
        demand.P99Wait.Should().BeLessThan(TimeSpan.FromSeconds(0.5));
        demand.Rejected.Should().Be(0);
        demand.InstanceSeconds.Should().BeLessThan(classic.InstanceSeconds, "demand also gives the burst's instances back");
    }

    [Fact]
    public void Run_PolicyDecidingAboutAnotherApp_Fails()
    {
        var run = new PolicyRunSpec("rogue", (_, _) => new ScriptedPolicy(TimeSpan.FromSeconds(1), _ => [new SpawnInstances("/other", 1, null, "x")]));
        var spec = Spec([new TraceRequest(TimeSpan.Zero, App, TimeSpan.Zero)], run);

        var act = () => SimulationRunner.Run(spec);

        act.Should().Throw<InvalidOperationException>().WithMessage("*another app '/other'*");
    }

    /// <summary>A policy that holds a start for 2 s, cancels it at its next evaluation, and starts one at the one after.</summary>
    private static (PolicyRunSpec Run, Func<ScriptedPolicy> Policy) HoldCancelThenStart()
    {
        ScriptedPolicy? policy = null;
        var run = new PolicyRunSpec("scripted", (_, _) => policy = new ScriptedPolicy(TimeSpan.FromSeconds(0.5), input =>
            policy!.Inputs.Count switch
            {
                1 => [new SpawnInstances(App, 1, input.Now.AddSeconds(2), "later")],
                2 => [new CancelPendingStart(App, "changed my mind")],
                3 => [new SpawnInstances(App, 1, null, "now")],
                _ => [],
            }));
        return (run, () => policy!);
    }

    private static SimulationSpec Spec(IReadOnlyList<TraceRequest> requests, params PolicyRunSpec[] policies) =>
        new(new Trace(requests), policies)
        {
            SpawnLatency = new FixedSpawnLatency(TimeSpan.FromSeconds(0.2)),
            StopLatency = TimeSpan.Zero,
            CoolDown = TimeSpan.FromSeconds(10),
        };
}
