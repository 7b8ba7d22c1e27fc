using Pm.Config;
using Pm.Policy;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

public sealed class ConfigParserTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly string _app;

    public ConfigParserTests()
    {
        _app = _dir.Write("app.fcgi", "#!/bin/sh\n");
        _dir.Write("data.txt", "not a program");
        File.SetUnixFileMode(_app, (UnixFileMode)0x1ED);
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text);

    private IReadOnlyList<ConfigError> Errors(string text)
    {
        var act = () => Parse(text);
        return act.Should().Throw<ConfigException>().Which.Errors;
    }

    [Fact]
    public void Parse_LinesFromARealApacheModFastCgiConfig_ParseUnchanged()
    {
        var config = Parse($"""
            # mod_fastcgi section of an httpd.conf
            <IfModule mod_fastcgi.c>
              FastCgiIpcDir {_dir.IpcDir}
              FastCgiServer {_app} -processes 4 -idle-timeout 120 -pass-header Authorization -initial-env PHP_FCGI_CHILDREN=4 -listen-queue-depth 256
              FastCgiExternalServer /var/www/php5.external -host 127.0.0.1:9000 -pass-header Authorization -idle-timeout 300
              FastCgiConfig -maxClassProcesses 20 -maxProcesses 200 -minProcesses 10 -killInterval 600 \
                  -idle-timeout 300 -singleThreshhold 100 -autoUpdate -startDelay 5
            </IfModule>
            """);

        var app = config.StaticApps.Should().ContainSingle().Subject;
        app.Processes.Should().Be(4);
        app.ListenQueueDepth.Should().Be(256);
        app.Request.IdleTimeout.Should().Be(TimeSpan.FromSeconds(120));
        app.Request.PassHeaders.Should().Equal("Authorization");
        app.Environment.Should().Equal("PHP_FCGI_CHILDREN=4");
        app.Address.SocketPath.Should().Be(Path.Combine(_dir.IpcDir, IpcLayout.HashedName(_app)));

        var ext = config.ExternalApps.Should().ContainSingle().Subject;
        ext.Address.Should().Be(AppAddress.Tcp("127.0.0.1", 9000));
        ext.Request.IdleTimeout.Should().Be(TimeSpan.FromSeconds(300));

        config.Dynamic.MaxProcesses.Should().Be(200);
        config.Dynamic.MaxClassProcesses.Should().Be(20);
        config.Dynamic.AutoUpdate.Should().BeTrue();
        config.Dynamic.StartDelay.Should().Be(TimeSpan.FromSeconds(5));
        config.Dynamic.Options.Integer("singleThreshold").Should().Be(100, "the misspelt alias of mod_fastcgi is accepted");
    }

    [Fact]
    public void Parse_OptionsNotGiven_TakeModFastCgiDefaults()
    {
        var app = Parse($"AppClass {_app}").StaticApps.Single();
        app.Processes.Should().Be(1);
        app.Priority.Should().Be(0);
        app.ListenQueueDepth.Should().Be(100);
        app.InitStartDelay.Should().Be(TimeSpan.FromSeconds(1));
        app.RestartDelay.Should().Be(TimeSpan.FromSeconds(5));
        app.MinServerLife.Should().Be(TimeSpan.FromSeconds(30));
        app.Request.AppConnTimeout.Should().Be(TimeSpan.Zero);
        app.Request.IdleTimeout.Should().Be(TimeSpan.FromSeconds(30));
        app.Environment.Should().BeEmpty();
        app.WorkingDirectory.Should().Be(_dir.Path);

        var dynamic = Parse("FastCgiConfig -restart").Dynamic;
        dynamic.MaxProcesses.Should().Be(50);
        dynamic.MaxClassProcesses.Should().Be(10);
        dynamic.StartDelay.Should().Be(TimeSpan.FromSeconds(3));
        dynamic.Options.Integer("minProcesses").Should().Be(5);
        dynamic.Options.Integer("killInterval").Should().Be(300);
        dynamic.Options.Integer("updateInterval").Should().Be(300);
        dynamic.Options.Decimal("gainValue").Should().Be(0.5);
        dynamic.Options.Integer("singleThreshold").Should().Be(0);
        dynamic.Options.Integer("multiThreshold").Should().Be(50);
        dynamic.Options.Integer("processSlack").Should().Be(5);
        dynamic.Options.Flag("restart").Should().BeTrue();
    }

    [Fact]
    public void Parse_QuotesContinuationsCommentsAndRelativePaths_FollowApache()
    {
        var config = Parse("""
            # a comment
               # an indented comment
            FastCgiServer app.fcgi \
                -initial-env "GREETING=hello world" -initial-env 'QUOTE=it\'s' \
                -arg "two words" -port 9123
            """);
        var app = config.StaticApps.Single();
        app.Path.Should().Be(_app, "relative paths are relative to the config file's directory");
        app.Environment.Should().Equal("GREETING=hello world", "QUOTE=it's");
        app.Arguments.Should().Equal("two words");
        app.Address.Should().Be(AppAddress.Tcp("127.0.0.1", 9123));
        app.Source.Line.Should().Be(3);
    }

    [Fact]
    public void Parse_InitialEnvNameWithoutValue_IsCopiedFromThePmEnvironment()
    {
        Environment.SetEnvironmentVariable("PM_TEST_COPIED", "from-pm");
        Parse($"FastCgiServer {_app} -initial-env PM_TEST_COPIED").StaticApps.Single().Environment.Should().Equal("PM_TEST_COPIED=from-pm");
    }

    [Theory]
    [InlineData("FastCgiServr {app}", 1, "FastCgiServr", "unknown directive")]
    [InlineData("FastCgiServer {app} -procesess 2", 1, "FastCgiServer", "unknown option '-procesess'")]
    [InlineData("FastCgiServer {app} -processes", 1, "FastCgiServer", "option -processes needs a value")]
    [InlineData("FastCgiServer {app} -processes two", 1, "FastCgiServer", "invalid value for -processes: \"two\" is not a whole number")]
    [InlineData("FastCgiServer {app} -processes 0", 1, "FastCgiServer", "\"0\" must be between 1 and 10000")]
    [InlineData("FastCgiServer {app} -idle-timeout 0", 1, "FastCgiServer", "invalid value for -idle-timeout: \"0\" must be >= 1")]
    [InlineData("FastCgiServer {app} -port 9000 -socket s", 1, "FastCgiServer", "-port and -socket are mutually exclusive options")]
    [InlineData("FastCgiServer {app} -port 70000", 1, "FastCgiServer", "port '70000' must be between 1 and 65535")]
    [InlineData("FastCgiServer {app} -host 127.0.0.1:9000", 1, "FastCgiServer", "option -host is not valid here (it applies to FastCgiExternalServer)")]
    [InlineData("FastCgiServer {app} -processes 2 -processes 3", 1, "FastCgiServer", "option -processes given more than once")]
    [InlineData("FastCgiServer {dir}/missing.fcgi", 1, "FastCgiServer", "missing.fcgi\" does not exist")]
    [InlineData("FastCgiServer {dir}/data.txt", 1, "FastCgiServer", "data.txt\" is not executable")]
    [InlineData("FastCgiServer {dir}", 1, "FastCgiServer", "is a directory")]
    [InlineData("FastCgiServer -processes 2", 1, "FastCgiServer", "requires a path to the app")]
    [InlineData("FastCgiServer {app}\nAppClass {app}", 2, "AppClass", "redefinition of a previously defined FastCGI server")]
    [InlineData("FastCgiExternalServer /x.fcgi -idle-timeout 5", 1, "FastCgiExternalServer", "exactly one of -host or -socket is required")]
    [InlineData("FastCgiExternalServer /x.fcgi -host nowhere", 1, "FastCgiExternalServer", "'nowhere' must be HOST:PORT")]
    [InlineData("FastCgiExternalServer /x.fcgi -host localhost:0", 1, "FastCgiExternalServer", "port '0' must be between 1 and 65535")]
    [InlineData("FastCgiExternalServer /x.fcgi -socket s -processes 2", 1, "FastCgiExternalServer", "option -processes is not valid here")]
    [InlineData("FastCgiConfig -gainValue 1.5", 1, "FastCgiConfig", "invalid value for -gainValue: \"1.5\" is not between 0 and 1")]
    [InlineData("FastCgiConfig -maxProcesses 4 -processSlack 5", 1, "FastCgiConfig", "processSlack (5) must be less than maxProcesses (4) + 1")]
    [InlineData("FastCgiConfig -policy fastest", 1, "FastCgiConfig", "unknown scaling policy 'fastest'")]
    [InlineData("FastCgiConfig -policy demand -spawnBurst lots", 1, "FastCgiConfig", "spawnBurst")]
    [InlineData("FastCgiConfig -policy spare -bogusKnob 3", 1, "FastCgiConfig", "unknown parameter 'bogusKnob'")]
    [InlineData("PmDynamicRoot /d {dir} -policy classic -spawnRate 5", 1, "PmDynamicRoot", "unknown parameter 'spawnRate'")]
    [InlineData("FastCgiConfig\nFCGIConfig -restart", 2, "FCGIConfig", "given twice (first at line 1)")]
    [InlineData("FastCgiIpcDir /a\nFastCgiIpcDir /b", 2, "FastCgiIpcDir", "given more than once")]
    [InlineData("FastCgiServer {app} -initial-env \"A=1", 1, "FastCgiServer", "unterminated \" quote")]
    [InlineData("FastCgiServer {app} -url hello", 1, "FastCgiServer", "URL prefix 'hello' must start with '/'")]
    [InlineData("FastCgiServer {app} -url /a\nFastCgiExternalServer /e -socket s -url /a", 2, "FastCgiExternalServer", "URL prefix '/a' is already routed (line 1)")]
    [InlineData("FastCgiServer {app} -document-root {dir}", 1, "FastCgiServer", "-document-root needs -url")]
    [InlineData("FastCgiServer {app} -user no-such-user-here", 1, "FastCgiServer", "unknown user 'no-such-user-here'")]
    [InlineData("<VirtualHost *:80>\n<Directory /srv>\n</Location>\n</VirtualHost>", 3, "</Location>", "</Location> does not close <Directory> (line 2)")]
    [InlineData("<IfModule mod_fastcgi.c>\nFastCgiIpcDir /a", 1, "<IfModule", "not closed: </IfModule> is missing")]
    [InlineData("</Location>", 1, "</Location>", "</Location> closes no open section")]
    [InlineData("<Directry /srv>\n</Directry>", 1, "<Directry", "unknown section <Directry>")]
    [InlineData("<Directory /srv>\nFastCgiServer {app}\n</Directory>", 2, "FastCgiServer", "not allowed inside <Directory /srv> (line 1)")]
    [InlineData("<Location /a>\nAlias /b /srv\n</Location>", 2, "Alias", "not allowed inside <Location /a> (line 1)")]
    [InlineData("FastCgiAuthenticator /auth.fcgi", 1, "FastCgiAuthenticator", "unknown directive")]
    [InlineData("PmWebProcesses many", 1, "PmWebProcesses", "'many' must be a whole number between 1 and 256")]
    [InlineData("PmListen 127.0.0.1:99999", 1, "PmListen", "port '99999' must be between 1 and 65535")]
    [InlineData("PmDynamicRoot /fcgi-bin/ {dir}/nope", 1, "PmDynamicRoot", "nope\" is not a directory")]
    [InlineData("PmDynamicRoot /fcgi-bin/ {dir} -handler fcgi", 1, "PmDynamicRoot", "handler 'fcgi' must be a file extension")]
    public void Parse_EachMistake_IsReportedWithFileLineAndDirective(string text, int line, string directive, string message)
    {
        var errors = Errors(text.Replace("{app}", _app).Replace("{dir}", _dir.Path));
        var error = errors.Should().ContainSingle().Subject;
        error.File.Should().Be(_dir.File("pm.conf"));
        error.Line.Should().Be(line);
        error.Directive.Should().Be(directive);
        error.Message.Should().Contain(message);
        error.ToString().Should().StartWith($"{_dir.File("pm.conf")}:{line}: {directive}: ");
    }

    [Fact]
    public void Parse_SeveralErrorsInAFile_AreAllReportedNotJustTheFirst()
    {
        var errors = Errors($"""
            FastCgiServer {_app} -processes 0
            Bogus directive
            FastCgiExternalServer /ext -host 127.0.0.1:0
            """);
        errors.Select(e => e.Line).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Parse_MoreThan64InitialEnvEntries_IsRefused()
    {
        var env = string.Join(' ', Enumerable.Range(0, 65).Select(i => $"-initial-env V{i}=x"));
        Errors($"FastCgiServer {_app} {env}").Single().Message.Should().Contain("too many -initial-env variables (65), must be <= 64");
    }

    [Fact]
    public void Parse_IpcDirTooLongForSocketPaths_IsRefused()
    {
        Errors($"FastCgiIpcDir /{new string('x', 80)}").Single().Message.Should().Contain("too long for Unix socket paths");
    }

    [Fact]
    public void Parse_ClassicOptionsAnotherPolicyDoesNotTake_AreIgnoredNotRefused()
    {
        var config = Parse($"""
            FastCgiConfig -killInterval 600 -singleThreshhold 100 -maxClassProcesses 4
            PmDynamicRoot /fcgi-bin {_dir.Path}
            PmDynamicRoot /classic {_dir.Path}/. -policy classic
            """);
        config.Dynamic.Policy.Name.Should().Be("demand");
        var demand = config.DynamicRoots[0];
        demand.IgnoredPolicyParameters.Should().BeEquivalentTo("killInterval", "singleThreshold");
        demand.Policy.Should().BeOfType<DemandPolicyOptions>().Which.MaxClassProcesses.Should().Be(4);
        var classic = config.DynamicRoots[1];
        classic.IgnoredPolicyParameters.Should().BeEmpty();
        classic.Policy.Should().BeOfType<ClassicPolicyOptions>().Which.KillInterval.Should().Be(TimeSpan.FromSeconds(600));
    }

    [Fact]
    public void Parse_PmDirectives_ConfigureTheFrontEndAndDynamicRoots()
    {
        var config = Parse($"""
            PmListen 0.0.0.0:8081
            PmWebProcesses 3
            PmShutdownTimeout 7
            FastCgiConfig -policy classic -maxProcesses 20
            PmDynamicRoot /fcgi-bin/ {_dir.Path} -handler .fcgi -handler .cgi
            FastCgiServer {_app} -url /hello/
            """);
        config.FrontEnd.Should().Be(new FrontEndConfig("0.0.0.0", 8081, 3));
        config.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(7));
        var root = config.DynamicRoots.Single();
        root.UrlPrefix.Should().Be("/fcgi-bin");
        root.HandlerExtensions.Should().Equal(".fcgi", ".cgi");
        root.Policy.Name.Should().Be("classic");
        config.StaticApps.Single().UrlPrefix.Should().Be("/hello");
    }

    [Fact]
    public void ParseText_NoPolicyOptions_FastCgiConfigAndRootsHaveTheDefaultPolicysDefaults()
    {
        var config = Parse($"PmDynamicRoot /fcgi-bin {_dir.Path}");

        config.Dynamic.Policy.Should().Be(new DemandPolicyOptions());
        config.DynamicRoots.Single().Policy.Should().Be(new DemandPolicyOptions());
        config.DynamicRoots.Single().Policy.StartDelay.Should().Be(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void ParseText_RootPolicyParameter_OverridesFastCgiConfigsForThatRootOnly()
    {
        var config = Parse($"""
            FastCgiConfig -policy demand -spawnRate 8 -maxClassProcesses 6
            PmDynamicRoot /a {_dir.Path} -spawnRate 4
            PmDynamicRoot /b {_dir.Path}/.
            """);

        config.Dynamic.Policy.Should().Be(new DemandPolicyOptions { SpawnRate = 8, MaxClassProcesses = 6 });
        config.DynamicRoots.Select(r => r.Policy).Should().Equal(
            new DemandPolicyOptions { SpawnRate = 4, MaxClassProcesses = 6 },
            new DemandPolicyOptions { SpawnRate = 8, MaxClassProcesses = 6 });
    }

    [Theory]
    [InlineData("PmDynamicRoot /d {dir} -spawnBurst 0", "policy 'demand': spawnBurst 0 must be at least 1")]
    [InlineData("PmDynamicRoot /d {dir} -policy spare -minSpareProcesses 3 -maxSpareProcesses 2", "policy 'spare': maxSpareProcesses 2 must be at least minSpareProcesses 3")]
    [InlineData("PmDynamicRoot /d {dir} -policy classic -startDelay 0", "policy 'classic': startDelay 0 s must be positive")]
    public void ParseText_InvalidPolicySettingOnARoot_IsReportedWithLineAndDirective(string root, string message)
    {
        var error = Errors("FastCgiConfig -restart\n" + root.Replace("{dir}", _dir.Path)).Should().ContainSingle().Subject;

        (error.Line, error.Directive, error.Message).Should().Be((2, "PmDynamicRoot", message));
    }

    [Fact]
    public void ParseText_ModFastCgiOptionsUnderSpare_AreListedAsIgnoredAndTheRestApply()
    {
        var config = Parse($"""
            FastCgiConfig -policy spare -maxProcesses 9 -gainValue 0.3 -restart
            PmDynamicRoot /d {_dir.Path}
            """);

        config.Dynamic.IgnoredPolicyParameters.Should().Equal("gainValue", "restart");
        config.DynamicRoots.Single().IgnoredPolicyParameters.Should().Equal("gainValue", "restart");
        config.DynamicRoots.Single().Policy.Should().Be(new SparePolicyOptions { MaxProcesses = 9 });
    }

    [Theory]
    [InlineData("-policy demand")]
    [InlineData("")]
    public void ParseText_FastCgiConfigDemandWithDecimalStartDelay_IsAcceptedAndExact(string policy)
    {
        var config = Parse($"""
            FastCgiConfig {policy} -startDelay 0.05
            PmDynamicRoot /d {_dir.Path}
            """);

        config.Dynamic.Policy.StartDelay.Should().Be(TimeSpan.FromMilliseconds(50));
        config.Dynamic.StartDelay.Should().Be(TimeSpan.FromMilliseconds(50));
        config.DynamicRoots.Single().Policy.Should().Be(new DemandPolicyOptions { StartDelay = TimeSpan.FromMilliseconds(50) });
    }

    [Theory]
    [InlineData("-policy classic -startDelay 0.05", "invalid value for -startDelay: \"0.05\" is not a whole number")]
    [InlineData("-policy Classic -startDelay 0", "invalid value for -startDelay: \"0\" must be >= 1")]
    [InlineData("-policy demand -startDelay 0", "policy 'demand': startDelay 0 s must be positive")]
    [InlineData("-policy spare -startDelay -1", "policy 'spare': startDelay -1 s must be positive")]
    public void ParseText_FastCgiConfigStartDelayClassicWholeOrNotPositive_IsOneErrorOnTheDirective(string options, string message)
    {
        var error = Errors($"FastCgiConfig {options}").Should().ContainSingle().Subject;

        (error.Line, error.Directive, error.Message).Should().Be((1, "FastCgiConfig", message));
    }

    [Fact]
    public void ParseText_FastCgiConfigClassicWholeStartDelay_IsAccepted()
    {
        Parse("FastCgiConfig -policy classic -startDelay 2").Dynamic.Policy.Should().Be(new ClassicPolicyOptions { StartDelay = TimeSpan.FromSeconds(2) });
    }
}
