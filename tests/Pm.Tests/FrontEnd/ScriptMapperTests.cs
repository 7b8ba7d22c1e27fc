using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Cgi;
using Pm.FrontEnd.Logging;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd;

/// <summary>SCRIPT_NAME, PATH_INFO and SCRIPT_FILENAME for apps with and without a document root, on a real directory.</summary>
public sealed class ScriptMapperTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly WebLog _log = new(Stream.Null);

    private AppBackend App(string? documentRoot) =>
        new("/usr/bin/php-cgi", AppAddress.Unix("/tmp/php.sock"), new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30), false, [], false),
            "/php", documentRoot, "/tmp", TimeProvider.System, _log);

    [Fact]
    public void Map_WithoutDocumentRoot_ThePrefixIsTheScript()
    {
        var result = ScriptMapper.Map(App(null), "/php", "/php/a/b");
        result.Status.Should().Be(200);
        result.Target.Should().Be(new ScriptTarget("/php", "/a/b", "/usr/bin/php-cgi", null));
    }

    [Fact]
    public void Map_AppAtRoot_HasAnEmptyScriptName()
    {
        ScriptMapper.Map(App(null), "/", "/x").Target.Should().Be(new ScriptTarget("", "/x", "/usr/bin/php-cgi", null));
    }

    [Fact]
    public void Map_WithDocumentRoot_TheFirstFileIsTheScript()
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "a"));
        File.WriteAllText(Path.Combine(root, "a", "index.php"), "");
        var result = ScriptMapper.Map(App(root), "/php", "/php/a/index.php/x/y");
        result.Status.Should().Be(200);
        result.Target.Should().Be(new ScriptTarget("/php/a/index.php", "/x/y", Path.Combine(root, "a", "index.php"), root));
    }

    [Theory]
    [InlineData("/php/../etc/passwd", 403)]
    [InlineData("/php/./index.php", 403)]
    [InlineData("/php/missing.php", 404)]
    [InlineData("/php/a", 404)]
    [InlineData("/php", 404)]
    public void Map_PathsThatNameNoScript_AreRefused(string path, int status)
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "a"));
        File.WriteAllText(Path.Combine(root, "index.php"), "");
        ScriptMapper.Map(App(root), "/php", path).Status.Should().Be(status);
    }

    [Fact]
    public void Map_LinkOutOfTheRoot_IsForbidden()
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        File.CreateSymbolicLink(Path.Combine(root, "evil.php"), _dir.Write("outside.php", ""));
        Directory.CreateSymbolicLink(Path.Combine(root, "up"), _dir.Path);
        ScriptMapper.Map(App(root), "/php", "/php/evil.php").Status.Should().Be(403);
        ScriptMapper.Map(App(root), "/php", "/php/up/outside.php").Status.Should().Be(403);
    }

    [Fact]
    public void Map_LinkInsideTheRoot_IsFollowed()
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        File.WriteAllText(Path.Combine(root, "real.php"), "");
        File.CreateSymbolicLink(Path.Combine(root, "alias.php"), Path.Combine(root, "real.php"));
        ScriptMapper.Map(App(root), "/php", "/php/alias.php").Status.Should().Be(200);
    }

    public void Dispose()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dir.Dispose();
    }
}
