using Pm.Posix;
using Pm.Tests.Dispatch.Support;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// nginx as the fleet's load balancer, in the root namespace: the example's nginx-fleet.conf adapted by
/// <see cref="FleetExample.NginxConfig"/>, HTTP on a free loopback port, every file it writes in its directory.
/// Disposal stops it (SIGQUIT, nginx's graceful stop) and checks that neither its master (whose command line names
/// the config in the test's directory) nor a worker of it is left.
/// </summary>
public sealed class Balancer : IAsyncDisposable
{
    private readonly PeerServer _nginx;
    private readonly List<int> _workers;

    private Balancer(PeerServer nginx, List<int> workers, int port)
    {
        _nginx = nginx;
        _workers = workers;
        Port = port;
    }

    public int Port { get; }

    public string ErrorLog => _nginx.ErrorLog;

    public static async Task<Balancer> StartAsync(string directory, IReadOnlyDictionary<string, string> upstreams)
    {
        Directory.CreateDirectory(directory);
        var port = FrontEnd.Support.FrontEndServer.FreePort();
        var replacements = new Dictionary<string, string>(upstreams) { ["listen 80;"] = $"listen 127.0.0.1:{port};" };
        var config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, FleetExample.NginxConfig(directory, replacements));
        var nginx = await PeerServer.StartAsync("/usr/sbin/nginx", ["-p", directory, "-c", config], config, Path.Combine(directory, "error.log"), port, Signals.SIGQUIT);
        var master = ProcessScan.WithCommandLine(config).Single(p => p.CommandLine.Contains("master", StringComparison.Ordinal)).Pid;
        List<int> workers = [];
        await Eventually.Until(() => (workers = ProcessScan.ChildrenOf(master).Where(p => p.State != 'Z').Select(p => p.Pid).ToList()).Count > 0, TimeSpan.FromSeconds(10));
        return new Balancer(nginx, workers, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _nginx.DisposeAsync();
        List<int> left = [];
        await Eventually.Until(() => (left = _workers.Where(ProcessScan.IsAlive).ToList()).Count == 0, TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        foreach (var pid in left)
        {
            ChildProcess.SignalProcess(pid, Signals.SIGKILL);
        }

        left.Should().BeEmpty("nginx's workers stop with their master");
    }
}
