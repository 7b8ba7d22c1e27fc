using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>PmLogFile: a path resolved like every other, checked as far as it can be without creating anything, and not changed by a reload.</summary>
public sealed class LogFileConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), $"FastCgiIpcDir {_dir.IpcDir}\n{text}\n");

    private IReadOnlyList<ConfigError> Errors(string text)
    {
        var act = () => Parse(text);
        return act.Should().Throw<ConfigException>().Which.Errors;
    }

    [Fact]
    public void PmLogFile_Relative_IsResolvedAgainstTheConfigsDirectory_AndNotCreated()
    {
        Parse("PmLogFile pm.log").LogFile.Should().Be(_dir.File("pm.log"));
        File.Exists(_dir.File("pm.log")).Should().BeFalse("check-config starts nothing and creates nothing");
    }

    [Fact]
    public void NoPmLogFile_IsNone()
    {
        Parse("").LogFile.Should().BeNull();
    }

    [Fact]
    public void PmLogFile_InADirectoryThatDoesNotExist_IsAnErrorWithFileAndLine()
    {
        Errors($"PmLogFile {_dir.File("nowhere/pm.log")}").Should().ContainSingle().Which.ToString()
            .Should().Be($"{_dir.File("pm.conf")}:2: PmLogFile: the directory of '{_dir.File("nowhere/pm.log")}' ({_dir.File("nowhere")}) does not exist");
    }

    [Fact]
    public void PmLogFile_ThatIsADirectory_IsAnError()
    {
        Errors($"PmLogFile {_dir.Path}").Should().ContainSingle().Which.Message.Should().Contain("is a directory");
    }

    [Fact]
    public void PmLogFile_TwiceOrWithoutItsPath_IsAnError()
    {
        Errors("PmLogFile a.log\nPmLogFile b.log").Should().ContainSingle().Which.ToString().Should().Contain(":3: PmLogFile: given more than once");
        Errors("PmLogFile").Should().ContainSingle().Which.Message.Should().Contain("takes exactly one argument");
    }

    [Fact]
    public void Reload_ThatChangesAddsOrRemovesPmLogFile_NeedsARestart()
    {
        ConfigChanges.Between(Parse("PmLogFile a.log"), Parse("PmLogFile a.log")).NeedsRestart.Should().BeEmpty();
        ConfigChanges.Between(Parse("PmLogFile a.log"), Parse("PmLogFile b.log")).NeedsRestart
            .Should().ContainSingle().Which.Should().Be($"PmLogFile {_dir.File("a.log")} -> {_dir.File("b.log")}");
        ConfigChanges.Between(Parse(""), Parse("PmLogFile a.log")).NeedsRestart.Should().ContainSingle().Which.Should().StartWith("PmLogFile (none) -> ");
        ConfigChanges.Between(Parse("PmLogFile a.log"), Parse("")).NeedsRestart.Should().ContainSingle().Which.Should().EndWith(" -> (none)");
    }
}
