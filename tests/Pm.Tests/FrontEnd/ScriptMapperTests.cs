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

    private AppBackend App(string? documentRoot, DocumentRootRules? rules = null) =>
        new("/usr/bin/php-cgi", AppAddress.Unix("/tmp/php.sock"), new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30), false, [], false),
            "/php", documentRoot, "/tmp", TimeProvider.System, _log, rules);

    private string Root(params string[] files)
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        foreach (var file in files)
        {
            var path = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!file.EndsWith('/'))
            {
                File.WriteAllText(path, "<?php echo \"RAN\"; ?>");
            }
        }

        return root;
    }

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
    [InlineData("/php/a/", 403)]
    [InlineData("/php/.htaccess", 403)]
    [InlineData("/php/.git/config", 403)]
    [InlineData("/php/a/.env", 403)]
    public void Map_PathsThatNameNoScript_AreRefused(string path, int status)
    {
        var root = Directory.CreateDirectory(_dir.File("www")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "a"));
        File.WriteAllText(Path.Combine(root, "index.php"), "");
        var result = ScriptMapper.Map(App(root), "/php", path);
        result.Kind.Should().Be(MappedKind.Refused);
        result.Status.Should().Be(status);
    }

    [Fact]
    public void Map_FileWithoutAScriptExtension_IsAStaticFileNeverTheApp()
    {
        var root = Root("up/evil.txt", "up/evil.php.txt", "up/EVIL.PHP");
        foreach (var name in new[] { "evil.txt", "evil.php.txt", "EVIL.PHP" })
        {
            var result = ScriptMapper.Map(App(root), "/php", "/php/up/" + name);
            result.Kind.Should().Be(MappedKind.StaticFile, name);
            result.File.Should().Be(Path.Combine(root, "up", name));
        }
    }

    [Fact]
    public void Map_PathInfoAfterAFileThatIsNotAScript_IsNotFound()
    {
        // The cgi.fix_pathinfo hole: /up/evil.txt/x.php must not run evil.txt.
        var root = Root("up/evil.txt");
        var result = ScriptMapper.Map(App(root), "/php", "/php/up/evil.txt/x.php");
        result.Kind.Should().Be(MappedKind.Refused);
        result.Status.Should().Be(404);
    }

    [Fact]
    public void Map_StaticOff_RefusesFilesThatAreNotScripts()
    {
        var root = Root("evil.txt", "index.php");
        var rules = DocumentRootRules.Default with { StaticFiles = false };
        ScriptMapper.Map(App(root, rules), "/php", "/php/evil.txt").Status.Should().Be(404);
        ScriptMapper.Map(App(root, rules), "/php", "/php/index.php").Kind.Should().Be(MappedKind.Script);
    }

    [Fact]
    public void Map_OtherExtensions_AreScriptsAndPhpNoLonger()
    {
        var root = Root("a.phtml", "b.php");
        var rules = DocumentRootRules.Default with { Extensions = [".phtml"] };
        ScriptMapper.Map(App(root, rules), "/php", "/php/a.phtml").Kind.Should().Be(MappedKind.Script);
        ScriptMapper.Map(App(root, rules), "/php", "/php/b.php").Kind.Should().Be(MappedKind.StaticFile);
    }

    [Theory]
    [InlineData("/php", "/php/")]
    [InlineData("/php/dir", "/php/dir/")]
    [InlineData("/php//dir", "/php/dir/")]
    [InlineData("/php/with space", "/php/with%20space/")]
    public void Map_DirectoryWithoutSlash_IsRedirectedToItsSlashUrl(string path, string location)
    {
        var root = Root("dir/", "with space/");
        var result = ScriptMapper.Map(App(root), "/php", path);
        result.Kind.Should().Be(MappedKind.Redirect);
        result.Location.Should().Be(location);
    }

    [Fact]
    public void Map_DirectoryWithSlash_IsItsFirstExistingIndex()
    {
        var root = Root("dir/index.php", "both/index.html", "both/index.php");
        var result = ScriptMapper.Map(App(root), "/php", "/php/dir/");
        result.Kind.Should().Be(MappedKind.Script);
        result.Target.Should().Be(new ScriptTarget("/php/dir/index.php", "", Path.Combine(root, "dir", "index.php"), root));

        var rules = DocumentRootRules.Default with { IndexFiles = ["index.html", "index.php"] };
        var html = ScriptMapper.Map(App(root, rules), "/php", "/php/both/");
        html.Kind.Should().Be(MappedKind.StaticFile);
        html.File.Should().Be(Path.Combine(root, "both", "index.html"));
    }

    [Fact]
    public void Map_IndexReachedThroughALinkOutOfTheRoot_IsForbidden()
    {
        var root = Root();
        Directory.CreateDirectory(_dir.File("outside"));
        _dir.Write("outside/index.php", "");
        Directory.CreateSymbolicLink(Path.Combine(root, "out"), _dir.File("outside"));
        ScriptMapper.Map(App(root), "/php", "/php/out/").Status.Should().Be(403);
        ScriptMapper.Map(App(root), "/php", "/php/out/index.php").Status.Should().Be(403);
    }

    [Fact]
    public void Map_WellKnown_IsServed()
    {
        var root = Root(".well-known/acme-challenge/token");
        ScriptMapper.Map(App(root), "/php", "/php/.well-known/acme-challenge/token").Kind.Should().Be(MappedKind.StaticFile);
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
