using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Routing;

namespace Pm.Tests.FrontEnd;

/// <summary>URL routing: longest prefix wins, whole path segments only, the status page only at PmStatusPage's path.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly WebLog _log = new(Stream.Null);

    private AppBackend App(string name, string url) =>
        new(name, AppAddress.Unix("/tmp/" + name), new RequestSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30), false, [], false),
            url, null, "/tmp", TimeProvider.System, _log);

    private static DynamicRootConfig Root(string url) =>
        new(url, "/srv/fcgi-bin", [".fcgi"], new Pm.Policy.DemandPolicyOptions(), [], new ConfigSource("test.conf", 1));

    [Theory]
    [InlineData("/php", "php")]
    [InlineData("/php/", "php")]
    [InlineData("/php/index.php", "php")]
    [InlineData("/php/admin", "admin")]
    [InlineData("/php/admin/x.php", "admin")]
    [InlineData("/php/administrator", "php")]
    [InlineData("/fcgi-bin/x.fcgi", "dynamic")]
    public void Match_PathUnderSeveralPrefixes_TakesTheLongest(string path, string expected)
    {
        var table = new RouteTable([new Mount("/php", App("php", "/php"), null), new Mount("/php/admin", App("admin", "/php/admin"), null),
            new Mount("/fcgi-bin", null, Root("/fcgi-bin"))]);
        var match = table.Match(path);
        (match.Kind == RouteKind.Dynamic ? "dynamic" : match.Mount!.App!.Name).Should().Be(expected);
    }

    [Theory]
    [InlineData("/phpinfo")]
    [InlineData("/ph")]
    [InlineData("/other/php")]
    public void Match_PrefixNotOnASegmentBoundary_IsNotFound(string path)
    {
        new RouteTable([new Mount("/php", App("php", "/php"), null)]).Match(path).Kind.Should().Be(RouteKind.NotFound);
    }

    [Fact]
    public void Match_RootWithoutPmStatusPage_IsNotFound()
    {
        var table = new RouteTable([new Mount("/php", App("php", "/php"), null)]);
        table.Match("/").Kind.Should().Be(RouteKind.NotFound, "the public listener serves no status unless the config says so");
        table.Match("/metrics").Kind.Should().Be(RouteKind.NotFound);
    }

    [Theory]
    [InlineData("/", "/", "/metrics")]
    [InlineData("/pm-status", "/pm-status", "/pm-status/metrics")]
    public void Match_PmStatusPage_IsThePageAndItsMetrics_BeforeAnyApp(string statusPath, string page, string metrics)
    {
        var table = new RouteTable([new Mount("/", App("all", "/"), null)], statusPath);
        table.Match(page).Kind.Should().Be(RouteKind.Status);
        table.Match(metrics).Kind.Should().Be(RouteKind.Metrics);
        table.Match(page + "x").Mount!.App!.Name.Should().Be("all", "only the exact paths are the status page's");
    }

    [Fact]
    public void Match_AppMountedAtRoot_TakesEverythingElse()
    {
        var table = new RouteTable([new Mount("/", App("all", "/"), null), new Mount("/php", App("php", "/php"), null)]);
        table.Match("/").Mount!.App!.Name.Should().Be("all");
        table.Match("/anything").Mount!.App!.Name.Should().Be("all");
        table.Match("/php/x").Mount!.App!.Name.Should().Be("php");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _log.DisposeAsync();
}
