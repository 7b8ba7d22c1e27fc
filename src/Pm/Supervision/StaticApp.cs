using Pm.Policy.Restart;
using Pm.Spawning;

namespace Pm.Supervision;

/// <summary>
/// An app with a fixed number of instances, always restarted: a FastCgiServer, or the web processes themselves.
/// Each of its -processes places is a slot with its own restart timing; failures are counted per app.
/// </summary>
public sealed class StaticApp : SupervisedApp
{
    public StaticApp(string name, string kind, ListenSocket socket, SpawnSpec spec, int processes, RestartOptions restart, string? url)
        : base(name, kind, socket, spec)
    {
        Restart = restart;
        Url = url;
        Slots = Enumerable.Range(0, processes).Select(i => new AppSlot(i)).ToArray();
    }

    public RestartOptions Restart { get; }

    public string? Url { get; }

    public IReadOnlyList<AppSlot> Slots { get; }

    public int ConsecutiveFailures { get; set; }
}
