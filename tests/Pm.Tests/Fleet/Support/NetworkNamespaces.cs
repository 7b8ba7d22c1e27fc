using System.Diagnostics;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// Network namespaces standing in for the hosts of a fleet. <see cref="AddHost"/> joins one to the root namespace
/// (where the load balancer runs) by a veth pair on a /24 of its own, the root end .1, the host's end .2;
/// <see cref="AddPrivateHost"/> joins it to nothing, and <see cref="Link"/> joins two hosts directly. No forwarding is
/// switched on anywhere, so a host reaches only the namespaces it has a link to, and nothing of the machine's own
/// network changes. Names are pmt&lt;pid&gt;&lt;tag&gt; (interface names: 15 bytes at most), unique to this test run; the
/// subnets are 10.77.N.0/24 with N picked among those the root namespace and this instance do not use. Disposal
/// deletes the namespaces (their veths go with them) and checks that no process in them, none of them, and no
/// interface of theirs is left.
/// </summary>
public sealed class NetworkNamespaces : IDisposable
{
    private readonly List<Host> _hosts = [];
    private readonly List<string> _namespaces = [];
    private readonly HashSet<int> _subnets = [];
    private readonly string _prefix = $"pmt{Environment.ProcessId}";

    /// <summary>A host: its namespace, and (unless it is private) its address and the root namespace's on their link.</summary>
    public sealed record Host(string Namespace, string? Address, string? RootAddress, string? RootInterface);

    /// <summary>Why network namespaces cannot be made here (not root, no ip, `ip netns add` refused), or null when they can.</summary>
    public static string? WhyUnavailable { get; } = Probe();

    private static string? Probe()
    {
        if (!Pm.Posix.Identity.IsRoot)
        {
            return "ip netns needs root";
        }

        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/sbin/ip"))
        {
            return "no ip command (Debian's iproute2, which scripts/setup.sh installs)";
        }

        var name = $"pmt{Environment.ProcessId}probe";
        var (code, output) = Ip(["netns", "add", name]);
        if (code != 0)
        {
            return $"`ip netns add` is not permitted here: {output.Trim()}";
        }

        Ip(["netns", "del", name]);
        return null;
    }

    /// <summary>Makes a namespace for host <paramref name="tag"/> (one letter) and links it to the root namespace.</summary>
    public Host AddHost(string tag)
    {
        var ns = AddNamespace(tag);
        var subnet = FreeSubnet();
        var rootEnd = ns + "r";
        var host = new Host(ns, $"10.77.{subnet}.2", $"10.77.{subnet}.1", rootEnd);
        _hosts.Add(host);
        Run(["link", "add", rootEnd, "type", "veth", "peer", "name", ns + "h", "netns", ns]);
        Run(["addr", "add", $"{host.RootAddress}/24", "dev", rootEnd]);
        Run(["link", "set", rootEnd, "up"]);
        Run(["-n", ns, "addr", "add", $"{host.Address}/24", "dev", ns + "h"]);
        Run(["-n", ns, "link", "set", ns + "h", "up"]);
        return host;
    }

    /// <summary>
    /// Makes a namespace for host <paramref name="tag"/> linked to no other yet: the root namespace cannot reach it,
    /// only the hosts <see cref="Link"/> joins it to.
    /// </summary>
    public Host AddPrivateHost(string tag)
    {
        var host = new Host(AddNamespace(tag), null, null, null);
        _hosts.Add(host);
        return host;
    }

    /// <summary>A veth pair between two hosts' namespaces, on a /24 of its own: the address of each end.</summary>
    public (string OnFrom, string OnTo) Link(Host from, Host to)
    {
        var subnet = FreeSubnet();
        var name = $"{from.Namespace}{to.Namespace[^1]}";
        Run(["-n", from.Namespace, "link", "add", name, "type", "veth", "peer", "name", name + "x", "netns", to.Namespace]);
        Run(["-n", from.Namespace, "addr", "add", $"10.77.{subnet}.1/24", "dev", name]);
        Run(["-n", from.Namespace, "link", "set", name, "up"]);
        Run(["-n", to.Namespace, "addr", "add", $"10.77.{subnet}.2/24", "dev", name + "x"]);
        Run(["-n", to.Namespace, "link", "set", name + "x", "up"]);
        return ($"10.77.{subnet}.1", $"10.77.{subnet}.2");
    }

    private string AddNamespace(string tag)
    {
        var ns = _prefix + tag;
        Run(["netns", "add", ns]);
        _namespaces.Add(ns);
        Run(["-n", ns, "link", "set", "lo", "up"]);
        return ns;
    }

    /// <summary>The pids of the processes in <paramref name="host"/>'s namespace (`ip netns pids`).</summary>
    public static IReadOnlyList<int> PidsIn(Host host)
    {
        var (code, output) = Ip(["netns", "pids", host.Namespace]);
        return code != 0 ? [] : output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
    }

    /// <summary>10.77.N.0/24 with N free: neither an address nor a route of the root namespace, nor taken by this instance.</summary>
    private int FreeSubnet()
    {
        var (_, addresses) = Ip(["-4", "-o", "addr", "show"]);
        var (_, routes) = Ip(["-4", "route", "show"]);
        for (var n = 1; n < 255; n++)
        {
            var net = $"10.77.{n}.";
            if (!_subnets.Contains(n) && !addresses.Contains(net, StringComparison.Ordinal) && !routes.Contains(net, StringComparison.Ordinal))
            {
                _subnets.Add(n);
                return n;
            }
        }

        throw new InvalidOperationException("every 10.77.N.0/24 is in use in the root namespace");
    }

    private static void Run(string[] arguments)
    {
        var (code, output) = Ip(arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({code}): {output.Trim()}");
        }
    }

    /// <summary>Runs ip with <paramref name="arguments"/>: its exit code and its stdout and stderr together.</summary>
    private static (int Code, string Output) Ip(string[] arguments)
    {
        var info = new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var ip = Process.Start(info)!;
        var stdout = ip.StandardOutput.ReadToEndAsync();
        var stderr = ip.StandardError.ReadToEndAsync();
        if (!ip.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            ip.Kill();
            ip.WaitForExit();
            return (-1, $"ip {string.Join(' ', arguments)} did not finish within 10 s");
        }

        return (ip.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        var left = new List<string>();
        foreach (var host in _hosts)
        {
            var pids = PidsIn(host);
            if (pids.Count > 0)
            {
                left.Add($"processes {string.Join(", ", pids)} in {host.Namespace}");
                foreach (var pid in pids)
                {
                    Pm.Posix.ChildProcess.SignalProcess(pid, Pm.Posix.Signals.SIGKILL);
                }
            }

            // Deleting one end of a veth deletes the pair at once; a deleted namespace's interfaces go only when the
            // kernel gets round to it.
            if (host.RootInterface is not null)
            {
                Ip(["link", "del", host.RootInterface]);
            }
        }

        foreach (var ns in _namespaces)
        {
            Ip(["netns", "del", ns]);
        }

        var (_, namespaces) = Ip(["netns", "list"]);
        var (_, links) = Ip(["-o", "link", "show"]);
        left.AddRange(_namespaces.Where(ns => namespaces.Contains(ns, StringComparison.Ordinal)).Select(ns => $"namespace {ns}"));
        left.AddRange(_hosts.Where(h => h.RootInterface is not null && links.Contains(h.RootInterface, StringComparison.Ordinal)).Select(h => $"interface {h.RootInterface}"));
        left.Should().BeEmpty("no process, namespace or interface of the fleet's hosts outlives the test");
    }
}
