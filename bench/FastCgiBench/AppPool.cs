using System.Net.Sockets;
using System.Reflection;
using Pm.Posix;

namespace FastCgiBench;

/// <summary>
/// N processes of an application sharing one listening socket on their fd 0, the way Pm runs a pool: the
/// kernel spreads connections over the processes that call accept.
/// </summary>
internal sealed class AppPool : IDisposable
{
    private readonly Socket _listener;
    private readonly List<int> _pids = [];

    public AppPool(string socketPath, int processes, string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        SocketPath = socketPath;
        File.Delete(socketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(1024);
        for (var i = 0; i < processes; i++)
        {
            _pids.Add(PosixSpawn.Start(new SpawnOptions
            {
                Path = path,
                Arguments = [path, .. arguments],
                Environment = ["PATH=/usr/bin:/bin", .. environment],
                Descriptors = [((int)_listener.Handle, 0)],
            }));
        }
    }

    public string SocketPath { get; }

    /// <summary>A pool of the Hello example app, Release build (found from this program's own build path).</summary>
    public static AppPool Hello(string socketPath, int processes)
    {
        var configuration = typeof(AppPool).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pm.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new FileNotFoundException("Pm.sln above " + AppContext.BaseDirectory);
        }

        var hello = Path.Combine(root, "examples", "apps", "Hello", "bin", configuration, "net10.0", "hello.dll");
        var dotnet = Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self : "/usr/share/dotnet/dotnet";
        return new AppPool(socketPath, processes, dotnet, [hello], ["DOTNET_NOLOGO=1", "DOTNET_TieredPGO=1"]);
    }

    public static AppPool PhpCgi(string socketPath, int processes) =>
        new(socketPath, processes, "/usr/bin/php-cgi", ["-n", "-d", "cgi.force_redirect=0"], ["PHP_FCGI_CHILDREN=0", "PHP_FCGI_MAX_REQUESTS=0"]);

    public void Dispose()
    {
        foreach (var pid in _pids)
        {
            ChildProcess.SignalGroup(pid, Signals.SIGKILL);
        }

        foreach (var pid in _pids)
        {
            // Blocking reap of children we just killed: they are gone within milliseconds.
            while (ChildProcess.WaitPidExitedNoHang(pid) is null)
            {
                Thread.Sleep(5);
            }
        }

        _listener.Dispose();
        File.Delete(SocketPath);
    }
}
