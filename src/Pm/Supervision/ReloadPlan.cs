using Pm.Policy.Restart;
using Pm.Spawning;

namespace Pm.Supervision;

/// <summary>
/// A validated reload, as the supervisor loop carries it out (see <see cref="ReloadRollout"/>): the apps to add
/// (their sockets open already), the ones to drain and remove, the ones to update in place, and the web processes.
/// </summary>
/// <param name="WebProcesses">How many web processes the new config asks for; null when the PM serves no HTTP.</param>
/// <param name="RollWeb">Whether the web processes are rolled over (they read the config themselves).</param>
public sealed record ReloadPlan(
    IReadOnlyList<StaticApp> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<AppUpdate> Changed,
    int? WebProcesses,
    bool RollWeb,
    Config.PmConfig Config);

/// <summary>A static app's new settings; its instances are rolled over when <paramref name="Roll"/>.</summary>
public sealed record AppUpdate(string Name, SpawnSpec Spec, Config.InstanceLimits Limits, bool RequestsTimed, RestartOptions Restart,
    int Processes, bool Roll, string What);
