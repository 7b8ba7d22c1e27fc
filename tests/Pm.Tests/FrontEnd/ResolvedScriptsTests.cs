using Microsoft.Extensions.Time.Testing;
using Pm.Config;
using Pm.FrontEnd.Dynamic;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd;

/// <summary>The web process's memory of resolved dynamic scripts, on a real directory and a fake clock.</summary>
public sealed class ResolvedScriptsTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly DynamicRootConfig _root;
    private readonly string _script;

    public ResolvedScriptsTests()
    {
        var root = Directory.CreateDirectory(_dir.File("root")).FullName;
        _root = new DynamicRootConfig("/fcgi-bin", root, [".fcgi"], new Pm.Policy.DemandPolicyOptions(), [], new ConfigSource("t", 1));
        _script = Path.Combine(root, "app.fcgi");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Resolve_ScriptFound_IsRememberedForItsLifetimeThenLookedUpAgain()
    {
        Executable(_script);
        var scripts = new ResolvedScripts(_time);
        scripts.Resolve(_root, "/fcgi-bin/app.fcgi/info").Script!.PathInfo.Should().Be("/info");
        File.Delete(_script);

        _time.Advance(ResolvedScripts.Lifetime - TimeSpan.FromTicks(1));
        scripts.Resolve(_root, "/fcgi-bin/app.fcgi/info").Script.Should().NotBeNull("within its lifetime the lookup is not repeated");

        _time.Advance(TimeSpan.FromTicks(1));
        scripts.Resolve(_root, "/fcgi-bin/app.fcgi/info").Status.Should().Be(404);
    }

    [Fact]
    public void Resolve_ScriptMissing_IsNotRemembered()
    {
        var scripts = new ResolvedScripts(_time);
        scripts.Resolve(_root, "/fcgi-bin/app.fcgi").Status.Should().Be(404);

        Executable(_script);

        scripts.Resolve(_root, "/fcgi-bin/app.fcgi").Script.Should().NotBeNull("a new script is served at once");
    }

    private static void Executable(string path)
    {
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
    }
}
