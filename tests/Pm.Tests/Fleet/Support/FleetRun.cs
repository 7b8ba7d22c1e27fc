using System.Runtime.ExceptionServices;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// examples/fleet running on one machine: hosts A and B (network namespaces linked to the root namespace) each run
/// `pm serve` on the example's host config, nginx in the root namespace balances them with the example's
/// nginx-fleet.conf, and the app the configs name as external (/reports, ExternalAppClass over TCP) runs on a third,
/// private host that only A and B have a link to. Disposal stops all of it, last started first, and checks that none
/// of its processes, namespaces or interfaces is left.
/// </summary>
public sealed class FleetRun : IAsyncDisposable
{
    private readonly List<Func<ValueTask>> _stops = [];

    private FleetRun(TestDirectory dir, NetworkNamespaces network)
    {
        Directory = dir;
        Network = network;
        _stops.Add(() => { dir.Dispose(); return ValueTask.CompletedTask; });
        _stops.Add(() => { network.Dispose(); return ValueTask.CompletedTask; });
    }

    public TestDirectory Directory { get; }

    public NetworkNamespaces Network { get; }

    public NetworkNamespaces.Host A { get; private set; } = null!;

    public NetworkNamespaces.Host B { get; private set; } = null!;

    public NamespacedProcess PmA { get; private set; } = null!;

    public NamespacedProcess PmB { get; private set; } = null!;

    public Balancer Nginx { get; private set; } = null!;

    /// <summary>Whether the pm under test has PmStatusListen (else its line of the example is left out).</summary>
    public bool StatusListen { get; private set; }

    /// <summary>Host A's and host B's PmListen, as nginx names them in X-Pm-Upstream.</summary>
    public string UpstreamA => $"{A.Address}:8080";

    public string UpstreamB => $"{B.Address}:8080";

    public static async Task<FleetRun> StartAsync()
    {
        var run = new FleetRun(new TestDirectory(), new NetworkNamespaces());
        try
        {
            await run.StartAllAsync();
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        return run;
    }

    private async Task StartAllAsync()
    {
        A = Network.AddHost("a");
        B = Network.AddHost("b");
        var reports = Network.AddPrivateHost("c");
        var (_, reportsFromA) = Network.Link(A, reports);
        var (_, reportsFromB) = Network.Link(B, reports);

        // The external app: the Hello app bound by itself (no PM starts it) on every address of its host.
        var reportsHome = System.IO.Directory.CreateDirectory(Directory.File("host-c")).FullName;
        var app = Started(NamespacedProcess.Start(reports.Namespace, Link(reportsHome), ["--listen", "0.0.0.0:9000"], reportsHome + "/"));
        StatusListen = await FleetExample.PmHasStatusListenAsync();
        PmA = Started(await StartHostAsync("host-a.conf", A, new() { [FleetExample.HostA] = A.Address!, [FleetExample.ReportsHost] = reportsFromA }));
        PmB = Started(await StartHostAsync("host-b.conf", B, new() { [FleetExample.HostB] = B.Address!, [FleetExample.ReportsHost] = reportsFromB }));
        Nginx = Started(await Balancer.StartAsync(Directory.File("nginx"), new Dictionary<string, string>
        {
            [$"{FleetExample.HostA}:8080"] = UpstreamA,
            [$"{FleetExample.HostB}:8080"] = UpstreamB,
        }));
    }

    private T Started<T>(T process)
        where T : IAsyncDisposable
    {
        _stops.Add(process.DisposeAsync);
        return process;
    }

    private static string Link(string home)
    {
        var hello = Path.Combine(home, "hello");
        File.CreateSymbolicLink(hello, Paths.Hello);
        return hello;
    }

    /// <summary>A host's PM on the example's config with the test's addresses, in a directory of its own (its marker).</summary>
    private async Task<NamespacedProcess> StartHostAsync(string name, NetworkNamespaces.Host host, Dictionary<string, string> addresses)
    {
        var home = System.IO.Directory.CreateDirectory(Directory.File(Path.GetFileNameWithoutExtension(name))).FullName;
        var config = Path.Combine(home, "pm.conf");
        File.WriteAllText(config, FleetExample.HostConfig(name, addresses, Link(home), Path.Combine(home, "ipc"), StatusListen));
        return await NamespacedProcess.StartPmAsync(host.Namespace, config, home + "/");
    }

    public async ValueTask DisposeAsync()
    {
        ExceptionDispatchInfo? first = null;
        for (var i = _stops.Count - 1; i >= 0; i--)
        {
            try
            {
                await _stops[i]();
            }
            catch (Exception e)
            {
                first ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        first?.Throw();
    }
}
