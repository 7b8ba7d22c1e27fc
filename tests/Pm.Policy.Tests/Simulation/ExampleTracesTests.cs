using Pm.Engine;
using System.Text;
using Pm.Simulation;

namespace Pm.Policy.Tests.Simulation;

/// <summary>
/// The shipped examples/traces files are exactly the generator's output, so they can be regenerated and trusted.
/// To regenerate after changing the generator: PM_WRITE_EXAMPLE_TRACES=1 dotnet test --filter ExampleTraces.
/// </summary>
public sealed class ExampleTracesTests
{
    public static TheoryData<string> Names() => new(TraceGenerator.Examples.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void ExampleTraces_FileEqualsGeneratorOutput(string name)
    {
        var (make, description) = TraceGenerator.Examples[name];
        var expected = new StringWriter();
        TraceWriter.WriteTrace(expected, make(), description);
        var path = Path.Combine(RepositoryRoot(), "examples", "traces", name + ".csv");
        if (Environment.GetEnvironmentVariable("PM_WRITE_EXAMPLE_TRACES") == "1")
        {
            File.WriteAllText(path, expected.ToString(), new UTF8Encoding(false));
        }

        File.ReadAllText(path).Should().Be(expected.ToString());
        TraceReader.ReadFile(path).Requests.Should().Equal(make().Requests);
    }

    [Fact]
    public void Generator_SameSeed_SameTrace_DifferentSeed_DifferentTrace()
    {
        TraceGenerator.Burst(5).Requests.Should().Equal(TraceGenerator.Burst(5).Requests);
        TraceGenerator.Burst(6).Requests.Should().NotEqual(TraceGenerator.Burst(5).Requests);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pm.sln not found above " + AppContext.BaseDirectory);
    }
}
