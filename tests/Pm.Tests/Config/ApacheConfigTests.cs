using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>The rules by which Apache lines become mounts, notices or errors, one at a time (the corpus tests whole snippets).</summary>
public sealed class ApacheConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public ApacheConfigTests()
    {
        Directory.CreateDirectory(_dir.File("fcgi-bin"));
        foreach (var name in new[] { "fcgi-bin/a.fcgi", "fcgi-bin/notes.txt", "app.fcgi" })
        {
            File.WriteAllText(_dir.File(name), "#!/bin/sh\n");
            File.SetUnixFileMode(_dir.File(name), (UnixFileMode)0x1ED);
        }
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text.Replace("{dir}", _dir.Path));

    [Fact]
    public void AddHandler_InTheDirectoryOfAScriptAlias_MakesARootThatNeverRunsOtherExtensions()
    {
        var root = Parse("""
            ScriptAlias /fcgi-bin/ {dir}/fcgi-bin/
            <Directory {dir}/fcgi-bin>
                AddHandler fastcgi-script fcgi
            </Directory>
            """).DynamicRoots.Single();

        (root.UrlPrefix, root.Directory, root.RunsEveryFile).Should().Be(("/fcgi-bin", _dir.File("fcgi-bin"), false));
        root.HandlerExtensions.Should().Equal([".fcgi"], "Apache takes the extension with or without its dot");
        DynamicScriptResolver.Resolve(root, "/fcgi-bin/a.fcgi").Script.Should().NotBeNull();
        var txt = DynamicScriptResolver.Resolve(root, "/fcgi-bin/notes.txt");
        (txt.Script, txt.Status).Should().Be((null, 403), "an executable .txt is not a FastCGI app of this root");
        DynamicScriptResolver.Check([root], _dir.File("fcgi-bin/notes.txt")).Script.Should().BeNull("nor can a queue record start it");
    }

    [Fact]
    public void SetHandler_InADirectory_RunsEveryExecutableFileThere()
    {
        var root = Parse("""
            Alias /fcgi-bin {dir}/fcgi-bin
            <Directory {dir}/fcgi-bin>
                SetHandler fastcgi-script
            </Directory>
            """).DynamicRoots.Single();

        root.RunsEveryFile.Should().BeTrue();
        DynamicScriptResolver.Resolve(root, "/fcgi-bin/notes.txt").Script!.AppPath.Should().Be(_dir.File("fcgi-bin/notes.txt"));
    }

    [Fact]
    public void AddHandler_OnTwoLinesAndInTwoIfModuleAlternatives_IsOneRootWithEveryExtension()
    {
        var config = Parse("""
            ScriptAlias /fcgi-bin/ {dir}/fcgi-bin/
            <IfModule mod_fastcgi.c>
                AddHandler fastcgi-script .fcgi
                AddHandler fastcgi-script .fpl
            </IfModule>
            <IfModule mod_fcgid.c>
                AddHandler fcgid-script .fcgi
            </IfModule>
            """);

        config.DynamicRoots.Single().HandlerExtensions.Should().Equal(".fcgi", ".fpl");
    }

    [Fact]
    public void ServerWideAddHandler_ReachesAScriptAliasButNotAPlainAlias()
    {
        Directory.CreateDirectory(_dir.File("static"));
        var config = Parse("""
            AddHandler fastcgi-script .fcgi
            ScriptAlias /fcgi-bin/ {dir}/fcgi-bin/
            Alias /static {dir}/static
            """);

        config.DynamicRoots.Select(r => r.UrlPrefix).Should().Equal("/fcgi-bin");
        config.Notices.Should().ContainSingle().Which.Should().Match<ConfigNotice>(n => n.Line == 3 && n.Message.Contains("Pm serves no static files"));
    }

    [Fact]
    public void Alias_ToAnAppWithItsOwnUrl_LeavesTheUrlAndSaysSo()
    {
        var config = Parse("""
            FastCgiServer {dir}/app.fcgi -url /own
            Alias /other {dir}/app.fcgi
            """);

        config.StaticApps.Single().UrlPrefix.Should().Be("/own");
        config.Notices.Single().Message.Should().Contain("has -url /own").And.Contain("which wins");
    }

    [Fact]
    public void Alias_ToAUrlAnotherAppHas_IsAnErrorOnTheAlias()
    {
        var act = () => Parse("""
            FastCgiExternalServer /ext -host 127.0.0.1:9000 -url /app
            FastCgiServer {dir}/app.fcgi
            Alias /app {dir}/app.fcgi
            """);

        var error = act.Should().Throw<ConfigException>().Which.Errors.Single();
        (error.Line, error.Directive, error.Message).Should().Be((3, "Alias", "URL prefix '/app' is already routed (line 1)"));
    }

    [Fact]
    public void ApacheDirectivesPmDoesNotUse_AreNoticesWithFileAndLine_NotErrors()
    {
        var config = Parse("""
            ServerName www.example.com
            <VirtualHost *:80>
                LogLevel warn
            </VirtualHost>
            """);

        config.Notices.Select(n => n.ToString()).Should().Equal(
            $"{_dir.File("pm.conf")}:1: ignored: Apache directive ServerName: it has no counterpart in Pm",
            $"{_dir.File("pm.conf")}:2: read through: Pm serves one site on PmListen, so the lines of <VirtualHost *:80> apply to it and the address is not used",
            $"{_dir.File("pm.conf")}:3: ignored: Apache directive LogLevel: it has no counterpart in Pm");
    }

    [Fact]
    public void ScriptAlias_ToADirectoryWithoutAFastCgiHandler_SaysPmRunsNoCgi()
    {
        var config = Parse("ScriptAlias /cgi-bin/ {dir}/fcgi-bin/");

        config.DynamicRoots.Should().BeEmpty();
        config.Notices.Single().Message.Should().Contain("are CGI scripts to Apache, and Pm runs FastCGI apps only");
    }

    [Fact]
    public void AddHandler_ForADirectoryThatDoesNotExist_IsAnErrorAsPmDynamicRootsIs()
    {
        var act = () => Parse("""
            ScriptAlias /x/ {dir}/missing/
            <Directory {dir}/missing>
                AddHandler fastcgi-script .fcgi
            </Directory>
            """);

        act.Should().Throw<ConfigException>().Which.Errors.Single().Message.Should().Contain("is not a directory, so it cannot be the dynamic root at /x");
    }

    [Theory]
    [InlineData("<Files *.fcgi>", ".fcgi")]
    [InlineData("<Files ~ \"\\.fcgi$\">", ".fcgi")]
    [InlineData("<FilesMatch \"\\.(fcgi|fpl)$\">", ".fcgi .fpl")]
    [InlineData("<FilesMatch \\.fcgi$>", ".fcgi")]
    [InlineData("<FilesMatch \"^.*\\.(?:fcgi|pl)$\">", ".fcgi .pl")]
    [InlineData("<FilesMatch \"^index\\.fcgi$\">", null)]
    public void SetHandler_InAFilesSection_TakesItsExtensionsWhereThePatternIsOnlyThat(string files, string? extensions)
    {
        var config = Parse($"""
            Alias /fcgi-bin {_dir.File("fcgi-bin")}
            <Directory {_dir.File("fcgi-bin")}>
                {files}
                    SetHandler fastcgi-script
                </{(files.StartsWith("<FilesMatch", StringComparison.Ordinal) ? "FilesMatch" : "Files")}>
            </Directory>
            """);

        if (extensions is null)
        {
            config.DynamicRoots.Should().BeEmpty();
            config.Notices.Should().Contain(n => n.Line == 4 && n.Message.Contains("Pm maps only"));
        }
        else
        {
            string.Join(' ', config.DynamicRoots.Single().HandlerExtensions).Should().Be(extensions);
        }
    }

    [Fact]
    public void FastCgiWrapperOn_IsSuexec_OrAClearErrorNamingThePackagesThatProvideIt()
    {
        var installed = Suexec.Candidates.FirstOrDefault(global::Pm.Posix.UserDatabase.CanExecute);
        var act = () => Parse("FastCgiWrapper On");

        if (installed is null)
        {
            var error = act.Should().Throw<ConfigException>().Which.Errors.Single();
            (error.Line, error.Directive).Should().Be((1, "FastCgiWrapper"));
            error.Message.Should().Contain("apache2-suexec-pristine").And.Contain("apache2-suexec-custom")
                .And.Contain("/usr/lib/apache2/suexec").And.Contain("/usr/sbin/suexec");
        }
        else
        {
            act().Wrapper.Should().Be(installed);
        }
    }
}
