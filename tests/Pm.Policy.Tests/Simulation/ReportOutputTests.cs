using System.Xml.Linq;
using Pm.Simulation;

namespace Pm.Policy.Tests.Simulation;

public sealed class ReportOutputTests
{
    private static readonly IReadOnlyList<PolicyRunReport> Reports = SimulationRunner.Run(
        new SimulationSpec(TraceGenerator.Spike(), [PolicyRunSpec.Parse("classic"), PolicyRunSpec.Parse("demand:spawnBurst=8")]));

    [Fact]
    public void SvgChart_IsWellFormed_WithOneLinePerPolicyInEachPanel()
    {
        var text = new StringWriter();

        SvgChart.Write(text, Reports, "spike <&> test");

        var svg = XDocument.Parse(text.ToString());
        XNamespace ns = "http://www.w3.org/2000/svg";
        svg.Root!.Name.Should().Be(ns + "svg");
        svg.Descendants(ns + "polyline").Should().HaveCount(4);
        var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToList();
        texts.Should().Contain("spike <&> test").And.Contain("instances").And.Contain("queue length");
        texts.Should().Contain(t => t.StartsWith("demand:spawnBurst=8: p50 wait", StringComparison.Ordinal));
    }

    [Fact]
    public void Printer_PrintsAHeaderAndOneAlignedRowPerPolicy()
    {
        var text = new StringWriter();

        SimulationReportPrinter.Print(text, Reports);

        var lines = text.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        lines.Should().HaveCount(3);
        lines[0].Should().StartWith("policy").And.Contain("p99 wait").And.Contain("instance-s");
        lines[1].Should().StartWith("classic ");
        lines[2].Should().StartWith("demand:spawnBurst=8");
        lines.Select(l => l.Length).Distinct().Should().HaveCount(1, "columns are right-aligned to equal widths");
    }

    [Fact]
    public void Timeline_CoversTheRunInEqualBuckets_KeepingEachBucketsMaximum()
    {
        var demand = Reports[1];

        demand.Timeline.Count.Should().Be(600);
        demand.Timeline.Duration.Should().Be(demand.Duration);
        demand.Timeline.Instances.Max().Should().Be(demand.MaxInstances);
        demand.Timeline.Queue.Max().Should().BeGreaterThan(100, "the spike queues 150 requests within 0.2 s");
    }

    [Theory]
    [InlineData("fixed:0.25", 0.25)]
    [InlineData("lognormal:0.15:0", 0.15)]
    public void SpawnLatencyModel_Parse_KnownForms(string text, double seconds)
    {
        SpawnLatencyModel.Parse(text).Next(new Random(1)).Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("fixed:-1")]
    [InlineData("gamma:1:2")]
    [InlineData("lognormal:0.1")]
    public void SpawnLatencyModel_Parse_RejectsOtherText(string text)
    {
        var act = () => SpawnLatencyModel.Parse(text);

        act.Should().Throw<FormatException>().WithMessage($"*'{text}'*");
    }

    [Fact]
    public void PolicyRunSpec_Parse_PassesParametersToTheCatalog()
    {
        var spec = PolicyRunSpec.Parse("classic:maxClassProcesses=20, killInterval=60");

        var policy = (ClassicPolicy)spec.CreateForGroup("/app", new Random(1));

        spec.Label.Should().Be("classic:maxClassProcesses=20, killInterval=60");
        (policy.Options.MaxClassProcesses, policy.Options.KillInterval).Should().Be((20, TimeSpan.FromSeconds(60)));
        FluentActions.Invoking(() => PolicyRunSpec.Parse("classic:oops")).Should().Throw<PolicyConfigurationException>().WithMessage("*'oops' is not parameter=value*");
        FluentActions.Invoking(() => PolicyRunSpec.Parse("classic:nope=1")).Should().Throw<PolicyConfigurationException>().WithMessage("*unknown parameter 'nope'*");
    }
}
