namespace Pm.Policy.Tests.Catalog;

public sealed class PolicyCatalogTests
{
    private static readonly Dictionary<string, string> None = [];

    [Theory]
    [InlineData("classic", typeof(ClassicPolicy))]
    [InlineData("SPARE", typeof(SparePolicy))]
    [InlineData("demand", typeof(DemandPolicy))]
    [InlineData("", typeof(DemandPolicy))]
    public void Create_ByName_ReturnsThatPolicy_AndDemandByDefault(string name, Type type)
    {
        var policy = PolicyCatalog.Create(name, None);

        policy.Should().BeOfType(type);
        PolicyCatalog.Names.Should().Contain(policy.Name);
    }

    [Fact]
    public void Create_Classic_HasModFastcgiDefaults()
    {
        var o = ((ClassicPolicy)PolicyCatalog.Create("classic", None)).Options;

        (o.MaxProcesses, o.MinProcesses, o.MaxClassProcesses, o.SingleThreshold, o.MultiThreshold, o.ProcessSlack)
            .Should().Be((50, 5, 10, 0, 50, 5));
        (o.KillInterval, o.UpdateInterval, o.StartDelay, o.InitStartDelay, o.RestartDelay, o.MinServerLife, o.FailedStartsDelay)
            .Should().Be((S(300), S(300), S(3), S(1), S(5), S(30), S(600)));
        (o.GainValue, o.Restart, o.MaxFailedStarts, o.ReproduceIntegerDivision).Should().Be((0.5, false, 3, false));
    }

    [Fact]
    public void Create_ParameterNames_AreCaseInsensitiveWithOrWithoutDashes_AndDurationsAreDecimalSeconds()
    {
        var parameters = new Dictionary<string, string>
        {
            ["-init-start-delay"] = "0.25",
            ["KILLINTERVAL"] = "60",
            ["restart"] = "on",
            ["reproduceIntegerDivision"] = "true",
            ["gainValue"] = "0.2",
        };

        var o = ((ClassicPolicy)PolicyCatalog.Create("classic", parameters)).Options;

        o.InitStartDelay.Should().Be(TimeSpan.FromMilliseconds(250));
        o.KillInterval.Should().Be(S(60));
        o.Restart.Should().BeTrue();
        o.ReproduceIntegerDivision.Should().BeTrue();
        o.GainValue.Should().Be(0.2);
    }

    [Fact]
    public void Create_UnknownParameter_NamesItAndListsTheKnownOnes()
    {
        var act = () => PolicyCatalog.Create("spare", new Dictionary<string, string> { ["maxSpare"] = "3" });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.ParameterName.Should().Be("maxSpare");
        error.Message.Should().Contain("unknown parameter 'maxSpare'").And.Contain("maxSpareProcesses");
    }

    [Theory]
    [InlineData("maxProcesses", "many", "'maxProcesses' = 'many' is not a whole number")]
    [InlineData("killInterval", "5m", "'killInterval' = '5m' is not a duration in seconds")]
    [InlineData("restart", "maybe", "'restart' = 'maybe' is not on or off")]
    public void Create_UnparsableValue_NamesParameterAndValue(string name, string value, string message)
    {
        var act = () => PolicyCatalog.Create("classic", new Dictionary<string, string> { [name] = value });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.ParameterName.Should().Be(name);
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Create_InvalidCombination_ReportsValidateErrorsWithTheParameterName()
    {
        var act = () => PolicyCatalog.Create("classic", new Dictionary<string, string> { ["processSlack"] = "60" });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.ParameterName.Should().Be("processSlack");
        error.Message.Should().Contain("processSlack 60 must be between 0 and maxProcesses 50");
    }

    [Fact]
    public void Create_UnknownPolicy_ListsTheKnownPolicies()
    {
        var act = () => PolicyCatalog.Create("ondemand", None);

        act.Should().Throw<PolicyConfigurationException>()
            .WithMessage("unknown scaling policy 'ondemand'; known policies: classic, spare, demand (default demand)");
    }

    [Fact]
    public void Create_SameParameterTwiceInDifferentSpelling_IsRejected()
    {
        var act = () => PolicyCatalog.Create("demand", new Dictionary<string, string> { ["spawnRate"] = "1", ["spawn-rate"] = "2" });

        act.Should().Throw<PolicyConfigurationException>().WithMessage("*given twice*");
    }

    [Fact]
    public void Validate_DefaultsOfEveryPolicy_AreValid()
    {
        new ClassicPolicyOptions().Validate().Should().BeEmpty();
        new SparePolicyOptions().Validate().Should().BeEmpty();
        new DemandPolicyOptions().Validate().Should().BeEmpty();
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
