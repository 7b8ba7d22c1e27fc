using Pm.Config;
using Pm.Policy.Restart;
using Pm.Spawning;
using Pm.Supervision;

namespace Pm.Tests.Supervision.InMemory.Fakes;

/// <summary>
/// Static apps for in-memory tests. The one thing of the kernel's they hold is the listening socket a
/// <see cref="StaticApp"/> requires (loopback, port 0); nothing is ever spawned on it. Dispose to close them.
/// </summary>
public sealed class TestApps : IDisposable
{
    private readonly List<StaticApp> _apps = [];

    public StaticApp Static(string name, int processes, RestartOptions restart, string kind = "static")
    {
        var socket = ListenSocket.Open(AppAddress.Tcp("127.0.0.1", 0), backlog: 1);
        var spec = new SpawnSpec(name, "/nonexistent/" + name, [], [], "/", socket.Descriptor, 0, null, null);
        var app = new StaticApp(name, kind, socket, spec, processes, restart, url: null);
        _apps.Add(app);
        return app;
    }

    public void Dispose()
    {
        foreach (var app in _apps)
        {
            app.Socket.Dispose();
        }
    }
}
