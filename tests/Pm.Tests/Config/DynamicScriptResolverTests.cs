using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

public sealed class DynamicScriptResolverTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly DynamicRootConfig _root;

    public DynamicScriptResolverTests()
    {
        var root = Directory.CreateDirectory(_dir.File("root")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        Executable(Path.Combine(root, "hello.fcgi"));
        Executable(Path.Combine(root, "sub", "deep.fcgi"));
        Executable(Path.Combine(root, "with space*.fcgi"));
        File.WriteAllText(Path.Combine(root, "data.fcgi"), "not executable");
        Executable(Path.Combine(root, "script.sh"));
        Executable(_dir.File("outside.fcgi"));
        File.CreateSymbolicLink(Path.Combine(root, "escape.fcgi"), _dir.File("outside.fcgi"));
        File.CreateSymbolicLink(Path.Combine(root, "alias.fcgi"), Path.Combine(root, "hello.fcgi"));
        _root = new DynamicRootConfig("/fcgi-bin", root, [".fcgi"], new Pm.Policy.DemandPolicyOptions(), [], new ConfigSource("t", 1));
    }

    public void Dispose() => _dir.Dispose();

    private static void Executable(string path)
    {
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
    }

    [Theory]
    [InlineData("/fcgi-bin/hello.fcgi", "hello.fcgi", "/fcgi-bin/hello.fcgi", "")]
    [InlineData("/fcgi-bin/hello.fcgi/extra/path", "hello.fcgi", "/fcgi-bin/hello.fcgi", "/extra/path")]
    [InlineData("/fcgi-bin/sub/deep.fcgi/x/", "sub/deep.fcgi", "/fcgi-bin/sub/deep.fcgi", "/x/")]
    [InlineData("/fcgi-bin/with space*.fcgi", "with space*.fcgi", "/fcgi-bin/with space*.fcgi", "")]
    [InlineData("/fcgi-bin/alias.fcgi", "alias.fcgi", "/fcgi-bin/alias.fcgi", "")]
    public void Resolve_ScriptUnderTheRoot_GivesItsCgiSplit(string url, string file, string scriptName, string pathInfo)
    {
        var result = DynamicScriptResolver.Resolve(_root, url);
        result.Status.Should().Be(200, result.Problem);
        result.Script!.AppPath.Should().Be(Path.Combine(_root.Directory, file));
        result.Script.ScriptName.Should().Be(scriptName);
        result.Script.PathInfo.Should().Be(pathInfo);
    }

    [Theory]
    [InlineData("/fcgi-bin/missing.fcgi", 404, "does not exist")]
    [InlineData("/fcgi-bin/sub", 404, "names a directory")]
    [InlineData("/fcgi-bin/../outside.fcgi", 403, "'..'")]
    [InlineData("/fcgi-bin/escape.fcgi", 403, "leads outside the dynamic root")]
    [InlineData("/fcgi-bin/data.fcgi", 403, "is not an executable file")]
    [InlineData("/fcgi-bin/script.sh", 403, "handler extensions (.fcgi)")]
    public void Resolve_AnythingElse_IsRefusedWithItsReason(string url, int status, string reason)
    {
        var result = DynamicScriptResolver.Resolve(_root, url);
        result.Script.Should().BeNull();
        result.Status.Should().Be(status);
        result.Problem.Should().Contain(reason);
    }

    [Fact]
    public void Check_QueuePaths_FollowTheSameRules()
    {
        DynamicScriptResolver.Check([_root], Path.Combine(_root.Directory, "hello.fcgi")).Status.Should().Be(200);
        DynamicScriptResolver.Check([_root], Path.Combine(_root.Directory, "escape.fcgi")).Status.Should().Be(403);
        DynamicScriptResolver.Check([_root], "/bin/sh").Problem.Should().Contain("not under any PmDynamicRoot");
        DynamicScriptResolver.Check([_root], Path.Combine(_root.Directory, "sub")).Status.Should().Be(404);
    }

    [Fact]
    public void FindRoot_SeveralMatchingPrefixes_PicksTheLongest()
    {
        var other = _root with { UrlPrefix = "/fcgi-bin/sub" };
        DynamicScriptResolver.FindRoot([_root, other], "/fcgi-bin/sub/deep.fcgi").Should().BeSameAs(other);
        DynamicScriptResolver.FindRoot([_root, other], "/fcgi-bin/hello.fcgi").Should().BeSameAs(_root);
        DynamicScriptResolver.FindRoot([_root, other], "/fcgi-binary").Should().BeNull();
    }
}
