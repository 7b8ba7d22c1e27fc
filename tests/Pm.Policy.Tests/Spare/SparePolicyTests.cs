using Pm.Policy.Tests.Fakes;

namespace Pm.Policy.Tests.Spare;

/// <summary>spamd's adapt_num_children rules (seed 004), one test each.</summary>
public sealed class SparePolicyTests
{
    private const string App = "/srv/fcgi/app.fcgi";

    [Fact]
    public void Evaluate_AppNeverRequested_StartsNothing()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions()), App);

        pm.Evaluate();

        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("not requested yet");
    }

    [Fact]
    public void Evaluate_BelowMinClassProcesses_StartsTheMissingOnesAtOnce()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MinClassProcesses = 3 }), App);
        pm.S(App);

        pm.Evaluate();

        pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>()
            .Which.Should().Match<SpawnInstances>(s => s.Count == 3 && s.Reason.Contains("0 instances < minClassProcesses 3"));
    }

    [Fact]
    public void Evaluate_FewerIdleThanMinSpare_StartsExactlyOne()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MinSpareProcesses = 2, MaxSpareProcesses = 4 }), App);
        pm.S(App);
        pm.Evaluate();
        pm.StartDue();                            // one idle instance

        pm.Evaluate();

        var spawn = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<SpawnInstances>().Subject;
        spawn.Count.Should().Be(1);
        spawn.Reason.Should().Contain("1 idle < minSpareProcesses 2");
    }

    [Fact]
    public void Evaluate_StartingAndPendingInstances_AreNotIdleButCountTowardsMaxClassProcesses()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MinClassProcesses = 0, MaxClassProcesses = 3 }), App);
        pm.S(App);
        pm.Evaluate();                            // 0 idle: one start (pending)
        pm.Evaluate();                            // still 0 idle: spamd adds another
        pm.StartDue(InstanceState.Starting);
        pm.Evaluate();                            // 2 starting + 1 new pending = 3
        pm.Pending(App).Should().Be(1);

        pm.Evaluate();

        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("maxClassProcesses 3 reached");
    }

    [Fact]
    public void Evaluate_MoreIdleThanMaxSpare_RetiresTheIdleInstanceWithTheHighestId()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MaxSpareProcesses = 2 }), App);
        pm.S(App);
        var ids = Enumerable.Range(0, 4).Select(_ => pm.Spawn(App)).ToList();
        pm.SetState(ids[3], InstanceState.Busy);  // the highest id is busy: never a victim

        pm.Evaluate();                            // idle 3 > 2

        var retire = pm.Decisions.Should().ContainSingle().Which.Should().BeOfType<RetireInstance>().Subject;
        retire.InstanceId.Should().Be(ids[2]);
        retire.Reason.Should().Contain("3 idle > maxSpareProcesses 2");

        pm.Evaluate();                            // idle 2: within limits, one change per evaluation
        pm.Decisions.Should().BeEmpty();
    }

    [Fact]
    public void Evaluate_ManyIdleAtMinClassProcesses_RetiresNothing()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MinClassProcesses = 4, MaxSpareProcesses = 1 }), App);
        pm.S(App);
        for (var i = 0; i < 4; i++)
        {
            pm.Spawn(App);
        }

        pm.Evaluate();

        pm.Decisions.Should().BeEmpty("4 instances is not more than minClassProcesses 4");
    }

    [Fact]
    public void Evaluate_GlobalMaxProcessesReached_StartsNothing()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MaxProcesses = 5 }), App) { OtherInstances = 5 };
        pm.S(App);

        pm.Evaluate();

        pm.Decisions.Should().BeEmpty();
        pm.Last!.Loads.Single().Summary.Should().Contain("maxProcesses 5");
    }

    [Fact]
    public void Evaluate_HeldBackByMaxProcesses_CountsMaxReached_OncePerStretch()
    {
        var pm = new FakePm(new SparePolicy(new SparePolicyOptions { MaxProcesses = 5 }), App) { OtherInstances = 5 };
        double Reached() => pm.Last!.Loads.Single().Figures[AppLoad.MaxReached];
        pm.S(App);
        pm.Evaluate();
        pm.Evaluate();
        Reached().Should().Be(1, "two evaluations held back in a row are one stretch");

        pm.OtherInstances = 0;
        pm.Evaluate();
        pm.Decisions.Should().NotBeEmpty("room again: it starts");
        Reached().Should().Be(1);
    }
}
