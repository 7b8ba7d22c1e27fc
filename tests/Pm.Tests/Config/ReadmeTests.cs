using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>The README's config reference is the directive and option tables the parser uses, and CI runs the README's test command.</summary>
public sealed class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(Paths.RepoRoot, "README.md"));

    [Fact]
    public void ReadmeOptionTable_IsTheParsersOptionTable()
    {
        Readme.Should().Contain(ConfigReference.OptionsMarkdown(), "regenerate it with `pm config-reference` after changing OptionTable");
    }

    [Fact]
    public void ReadmeDirectiveTable_IsTheDirectiveTable()
    {
        Readme.Should().Contain(ConfigReference.DirectivesMarkdown(), "regenerate it with `pm config-reference` after changing DirectiveTable");
    }

    [Fact]
    public void DirectiveTable_NamesEveryDirectiveTheParserReads()
    {
        var described = DirectiveTable.All.SelectMany(d => d.OldName is null ? [d.Name] : new[] { d.Name, d.OldName });
        described.Should().BeEquivalentTo(ConfigParser.DirectiveNames, "the reference (README, man page) describes exactly what the parser reads");
    }

    [Fact]
    public void CiRun_RunsTheReadmeTestCommand()
    {
        var ci = File.ReadAllText(Path.Combine(Paths.RepoRoot, ".ci/run"));
        ci.Should().Contain("scripts/test.sh");
        Readme.Should().Contain("scripts/test.sh");
    }
}
