using Pm.Config;
using Pm.Policy.Restart;
using Pm.Spawning;

namespace Pm.Supervision;

/// <summary>A static app under supervision: its config, its one listening socket, its slots and restart state.</summary>
public sealed class ManagedApp
{
    public ManagedApp(StaticAppConfig config, ListenSocket socket, SpawnSpec spec)
    {
        Config = config;
        Socket = socket;
        Spec = spec;
        Restart = new RestartOptions(config.InitStartDelay, config.RestartDelay, config.MinServerLife, config.BackoffMax);
        Slots = Enumerable.Range(0, config.Processes).Select(i => new AppSlot(i)).ToArray();
    }

    public string Name => Config.Path;

    public StaticAppConfig Config { get; }

    public ListenSocket Socket { get; }

    public SpawnSpec Spec { get; }

    public RestartOptions Restart { get; }

    public IReadOnlyList<AppSlot> Slots { get; }

    public int ConsecutiveFailures { get; set; }

    public long Restarts { get; set; }

    public ExitRecord? LastExit { get; set; }

    /// <summary>The last thing the supervisor decided for this app, in words.</summary>
    public string? LastDecision { get; set; }

    public IEnumerable<Instance> Instances => Slots.Where(s => s.Current is not null).Select(s => s.Current!);
}
