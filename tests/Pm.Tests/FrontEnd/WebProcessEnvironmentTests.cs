using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// The runtime settings a web process needs before its runtime starts (a 4 MiB gen-0 budget, see
/// WebServer.RuntimeEnvironment) reach the web processes the PM spawns, and a value in the PM's own environment wins.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class WebProcessEnvironmentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task WebProcesses_GetTheGen0Budget_UnlessThePmsEnvironmentSetsOne()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        await using (var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /a", webProcesses: 2))
        {
            var environments = await WebEnvironmentsAsync(server.Pm, 2);
            environments.Should().HaveCount(2).And.OnlyContain(e => e.Contains("DOTNET_GCgen0size=400000"));
            File.ReadAllText($"/proc/{server.Pm.Pid}/environ").Split('\0').Should().NotContain(v => v.StartsWith("DOTNET_GCgen0size=", StringComparison.Ordinal),
                "only the web processes get it, not the PM");
        }

        using var dir2 = new TestDirectory();
        var app2 = dir2.Link("a.fcgi", FrontEndApps.FcgiTest);
        await using (var server = await FrontEndServer.StartAsync(dir2, $"FastCgiServer {app2} -processes 1 -url /a",
                         new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "800000" }))
        {
            var environments = await WebEnvironmentsAsync(server.Pm, 1);
            environments.Should().ContainSingle().Which.Should().Contain("DOTNET_GCgen0size=800000").And.NotContain("DOTNET_GCgen0size=400000");
        }
    }

    private static async Task<List<string[]>> WebEnvironmentsAsync(PmProcess pm, int count) =>
        (await Eventually.ReadyInstancesAsync(pm, "web", count, Wait)).Select(i => File.ReadAllText($"/proc/{i.Pid}/environ").Split('\0')).ToList();
}
