using Pm.Config;
using Pm.Policy;
using Pm.Spawning;
using Pm.Supervision;

namespace Pm.Dynamic;

/// <summary>
/// An executable under a dynamic root that a request asked for: started on demand, scaled by its root's policy.
/// Its listening socket exists only while it has instances or starts pending; with none, the socket file is
/// removed, so the next request finds no socket and asks the PM to start it again.
/// </summary>
public sealed class DynamicApp(DynamicScript script, PolicyGroup group, ListenSocket socket, SpawnSpec spec)
    : SupervisedApp(script.AppPath, "dynamic", socket, spec)
{
    public DynamicScript Script { get; } = script;

    public PolicyGroup Group { get; } = group;

    /// <summary>Starts decided but not made yet, each with its time.</summary>
    public List<DateTimeOffset> PendingStarts { get; } = [];

    public ITimer? PendingTimer { get; set; }

    /// <summary>Connections waiting in the socket's accept queue at the last probe: requests no instance has taken yet.</summary>
    public int QueuedConnections { get; set; }

    /// <summary>The policy's figures at its last evaluation.</summary>
    public AppLoad? Load { get; set; }

    public bool Released { get; set; }

    /// <summary>Whether the last instance to exit was retired (by the policy or the PM) rather than dying on its own.</summary>
    public bool LastExitWasRetirement { get; set; }
}
