using Pm.Config;
using Pm.Spawning;
using Pm.Supervision;

namespace Pm.Dynamic;

/// <summary>
/// A dynamic app's processes on the PM's side: an executable under a dynamic root that a request asked for,
/// started on demand and scaled by its root's policy through the <see cref="Engine.ScalingEngine"/>. Its listening
/// socket exists only while the engine holds it open; released, the socket file is removed, so the next request
/// finds no socket and asks the PM to start it again. (The web process's view of the same app is
/// <c>Pm.FrontEnd.Dynamic.DynamicApp</c>.)
/// </summary>
public sealed class OnDemandApp(DynamicScript script, string group, ListenSocket socket, SpawnSpec spec)
    : SupervisedApp(script.AppPath, "dynamic", socket, spec)
{
    public DynamicScript Script { get; } = script;

    /// <summary>The policy group (its root) that scales it.</summary>
    public string Group { get; } = group;
}
