using Pm.Config;
using Pm.FrontEnd.Dynamic;
using Pm.FrontEnd.Logging;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd;

/// <summary>The web side of dynamic apps without a PM: what each app takes from its root's resolved policy settings.</summary>
public sealed class DynamicAppsTests : IAsyncLifetime
{
    private readonly TestDirectory _dir = new();
    private readonly WebLog _log = new(Stream.Null);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Get_AppUnderEachRoot_StartDelayIsItsRootPolicysFromTheSettings()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            Directory.CreateDirectory(_dir.File(name));
        }

        var config = ConfigParser.ParseText(_dir.File("pm.conf"), $"""
            FastCgiIpcDir {_dir.IpcDir}
            PmDynamicRoot /demand {_dir.File("a")} -startDelay 0.2
            PmDynamicRoot /classic {_dir.File("b")} -policy classic
            PmDynamicRoot /spare {_dir.File("c")} -policy spare -startDelay 1.5
            """);
        await using var apps = new DynamicApps(config, TimeProvider.System, _log);

        var delays = config.DynamicRoots.Select(root =>
            apps.Get(new DynamicScript(root, Path.Combine(root.Directory, "a.fcgi"), root.UrlPrefix + "/a.fcgi", "")).StartDelay);

        delays.Should().Equal(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Get_FastCgiConfigDemandDecimalStartDelay_IsTheAppsStartDelay()
    {
        var config = ConfigParser.ParseText(_dir.File("pm.conf"), $"""
            FastCgiIpcDir {_dir.IpcDir}
            FastCgiConfig -policy demand -startDelay 0.05
            PmDynamicRoot /fcgi-bin {_dir.Path}
            """);
        await using var apps = new DynamicApps(config, TimeProvider.System, _log);
        var root = config.DynamicRoots.Single();

        apps.Get(new DynamicScript(root, _dir.File("a.fcgi"), "/fcgi-bin/a.fcgi", "")).StartDelay.Should().Be(TimeSpan.FromMilliseconds(50));
    }
}
