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
        var policy = PolicyCatalog.Create(PolicyCatalog.Resolve(name, None), new Random(0));

        policy.Should().BeOfType(type);
        PolicyCatalog.Names.Should().Contain(policy.Name);
    }

    [Theory]
    [InlineData("classic", typeof(ClassicPolicyOptions), "classic")]
    [InlineData(" Spare ", typeof(SparePolicyOptions), "spare")]
    [InlineData("demand", typeof(DemandPolicyOptions), "demand")]
    [InlineData(null, typeof(DemandPolicyOptions), "demand")]
    public void Resolve_ByName_ReturnsThatPolicysOptions_AndDemandByDefault(string? name, Type type, string canonical)
    {
        var settings = PolicyCatalog.Resolve(name, None);

        settings.Should().BeOfType(type);
        settings.Name.Should().Be(canonical);
    }

    [Fact]
    public void Resolve_Classic_HasModFastcgiDefaults()
    {
        var o = PolicyCatalog.Resolve("classic", None).Should().BeOfType<ClassicPolicyOptions>().Subject;

        (o.MaxProcesses, o.MinProcesses, o.MaxClassProcesses, o.SingleThreshold, o.MultiThreshold, o.ProcessSlack)
            .Should().Be((50, 5, 10, 0, 50, 5));
        (o.KillInterval, o.UpdateInterval, o.StartDelay, o.InitStartDelay, o.RestartDelay, o.MinServerLife, o.FailedStartsDelay)
            .Should().Be((S(300), S(300), S(3), S(1), S(5), S(30), S(600)));
        (o.GainValue, o.Restart, o.MaxFailedStarts, o.ReproduceIntegerDivision).Should().Be((0.5, false, 3, false));
    }

    [Fact]
    public void Resolve_NoParameters_GivesEveryPolicyTheDefaultsOfItsOptions()
    {
        PolicyCatalog.Resolve("classic", None).Should().Be(new ClassicPolicyOptions());
        PolicyCatalog.Resolve("spare", None).Should().Be(new SparePolicyOptions());
        PolicyCatalog.Resolve("demand", None).Should().Be(new DemandPolicyOptions());
    }

    [Theory]
    [InlineData("classic", 3)]
    [InlineData("spare", 3)]
    [InlineData("demand", 0.05)]
    public void Resolve_WithoutStartDelay_StartDelayIsThePolicysDefault_AndTheCreatedPolicysToo(string name, double seconds)
    {
        var settings = PolicyCatalog.Resolve(name, None);

        settings.StartDelay.Should().Be(S(seconds));
        PolicyCatalog.Create(settings, new Random(0)).StartDelay.Should().Be(S(seconds));
    }

    [Fact]
    public void Resolve_DecimalStartDelay_IsExact()
    {
        var settings = PolicyCatalog.Resolve("demand", new Dictionary<string, string> { ["startDelay"] = "0.05" });

        settings.StartDelay.Should().Be(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Resolve_ParameterNames_AreCaseInsensitiveWithOrWithoutDashes_AndDurationsAreDecimalSeconds()
    {
        var parameters = new Dictionary<string, string>
        {
            ["-init-start-delay"] = "0.25",
            ["KILLINTERVAL"] = "60",
            ["restart"] = "on",
            ["reproduceIntegerDivision"] = "true",
            ["gainValue"] = "0.2",
        };

        var o = (ClassicPolicyOptions)PolicyCatalog.Resolve("classic", parameters);

        o.InitStartDelay.Should().Be(TimeSpan.FromMilliseconds(250));
        o.KillInterval.Should().Be(S(60));
        o.Restart.Should().BeTrue();
        o.ReproduceIntegerDivision.Should().BeTrue();
        o.GainValue.Should().Be(0.2);
    }

    [Fact]
    public void Resolve_UnknownParameter_NamesItAndListsTheKnownOnes()
    {
        var act = () => PolicyCatalog.Resolve("spare", new Dictionary<string, string> { ["maxSpare"] = "3" });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.Kind.Should().Be(PolicyErrorKind.UnknownParameter);
        error.ParameterName.Should().Be("maxSpare");
        error.Message.Should().Contain("unknown parameter 'maxSpare'").And.Contain("maxSpareProcesses");
    }

    [Theory]
    [InlineData("maxProcesses", "many", "'maxProcesses' = 'many' is not a whole number")]
    [InlineData("killInterval", "5m", "'killInterval' = '5m' is not a duration in seconds")]
    [InlineData("restart", "maybe", "'restart' = 'maybe' is not on or off")]
    public void Resolve_UnparsableValue_NamesParameterAndValue(string name, string value, string message)
    {
        var act = () => PolicyCatalog.Resolve("classic", new Dictionary<string, string> { [name] = value });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.Kind.Should().Be(PolicyErrorKind.InvalidValue);
        error.ParameterName.Should().Be(name);
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Resolve_InvalidCombination_ReportsValidateErrorsWithTheParameterName()
    {
        var act = () => PolicyCatalog.Resolve("classic", new Dictionary<string, string> { ["processSlack"] = "60" });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.Kind.Should().Be(PolicyErrorKind.InvalidValue);
        error.ParameterName.Should().Be("processSlack");
        error.Message.Should().Contain("processSlack 60 must be between 0 and maxProcesses 50");
    }

    [Fact]
    public void Resolve_InvalidValueSpelledWithDashes_NamesTheParameterAsSpelled()
    {
        var act = () => PolicyCatalog.Resolve("demand", new Dictionary<string, string> { ["spawn-burst"] = "0" });

        var error = act.Should().Throw<PolicyConfigurationException>().Which;
        error.Kind.Should().Be(PolicyErrorKind.InvalidValue);
        error.ParameterName.Should().Be("spawn-burst");
        error.Message.Should().Be("policy 'demand': spawnBurst 0 must be at least 1");
    }

    [Fact]
    public void Resolve_UnknownPolicy_ListsTheKnownPolicies()
    {
        var act = () => PolicyCatalog.Resolve("ondemand", None);

        var error = act.Should().Throw<PolicyConfigurationException>()
            .WithMessage("unknown scaling policy 'ondemand'; known policies: classic, spare, demand (default demand)").Which;
        error.Kind.Should().Be(PolicyErrorKind.UnknownPolicy);
        error.ParameterName.Should().BeNull();
    }

    [Fact]
    public void Resolve_SameParameterTwiceInDifferentSpelling_IsRejected()
    {
        var act = () => PolicyCatalog.Resolve("demand", new Dictionary<string, string> { ["spawnRate"] = "1", ["spawn-rate"] = "2" });

        var error = act.Should().Throw<PolicyConfigurationException>().WithMessage("*given twice*").Which;
        error.Kind.Should().Be(PolicyErrorKind.DuplicateParameter);
        error.ParameterName.Should().Be("spawn-rate");
    }

    [Fact]
    public void Create_Settings_ReturnsAPolicyWithThoseOptions()
    {
        var settings = new SparePolicyOptions { MaxSpareProcesses = 4 };

        var policy = PolicyCatalog.Create(settings, new Random(0));

        policy.Should().BeOfType<SparePolicy>().Which.Options.Should().BeSameAs(settings);
    }

    [Fact]
    public void ParameterNames_OfEachPolicy_AreWhatItsOptionsRead()
    {
        PolicyCatalog.ParameterNames("demand").Should().Contain(["spawnRate", "startDelay", "restartDelay"]).And.NotContain("killInterval");
        PolicyCatalog.ParameterNames("classic").Should().Contain(["killInterval", "startDelay", "initStartDelay"]).And.NotContain("spawnRate");
        PolicyCatalog.ParameterNames(null).Should().Equal(PolicyCatalog.ParameterNames(PolicyCatalog.DefaultName));
    }

    [Fact]
    public void ParameterNames_UnknownPolicy_Throws()
    {
        var act = () => PolicyCatalog.ParameterNames("ondemand");

        act.Should().Throw<PolicyConfigurationException>().Which.Kind.Should().Be(PolicyErrorKind.UnknownPolicy);
    }

    [Fact]
    public void Validate_DefaultsOfEveryPolicy_AreValid()
    {
        new ClassicPolicyOptions().Validate().Should().BeEmpty();
        new SparePolicyOptions().Validate().Should().BeEmpty();
        new DemandPolicyOptions().Validate().Should().BeEmpty();
    }

    [Fact]
    public void Validate_InvalidOptions_EachProblemNamesItsParameter_AndItsMessageStartsWithIt()
    {
        PolicySettings[] invalid =
        [
            new ClassicPolicyOptions { MaxProcesses = 0, ProcessSlack = 0, GainValue = 2, StartDelay = TimeSpan.Zero, FailedStartsDelay = S(-1) },
            new SparePolicyOptions { MinSpareProcesses = 3, MaxSpareProcesses = 2, MaxProcesses = 0 },
            new DemandPolicyOptions { SpawnRate = 0, IdleTimeout = TimeSpan.Zero, BackoffJitter = 1 },
        ];

        invalid.Select(s => s.Validate().Select(p => p.Parameter)).Should().SatisfyRespectively(
            classic => classic.Should().Equal("maxProcesses", "gainValue", "startDelay", "failedStartsDelay"),
            spare => spare.Should().Equal("maxSpareProcesses", "maxProcesses"),
            demand => demand.Should().Equal("spawnRate", "idleTimeout", "backoffJitter"));
        invalid.SelectMany(s => s.Validate()).Should().AllSatisfy(p =>
        {
            p.Message.Should().StartWith(p.Parameter + " ");
            p.ToString().Should().Be(p.Message);
            PolicyCatalog.ParameterNames(null).Concat(PolicyCatalog.ParameterNames("classic")).Concat(PolicyCatalog.ParameterNames("spare"))
                .Should().Contain(p.Parameter, "a problem names a parameter the catalog reads");
        });
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
