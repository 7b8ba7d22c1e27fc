using Pm.Spawning;

namespace Pm.Supervision;

/// <summary>
/// An app whose instances the PM runs: its one listening socket (shared by all its instances on fd 0), how its
/// instances are spawned, the live ones, and what happened last. Static apps, dynamic apps and the web processes
/// are kinds of it; only the supervisor loop touches it.
/// </summary>
public abstract class SupervisedApp(string name, string kind, ListenSocket socket, SpawnSpec spec)
{
    public string Name { get; } = name;

    /// <summary>"static", "dynamic" or "web", as status shows it.</summary>
    public string Kind { get; } = kind;

    public ListenSocket Socket { get; } = socket;

    /// <summary>How its instances are spawned; a reload may change it, for the instances started from then on.</summary>
    public SpawnSpec Spec { get; set; } = spec;

    public List<Instance> Instances { get; } = [];

    public ExitRecord? LastExit { get; set; }

    public long Restarts { get; set; }

    /// <summary>The last thing the supervisor or policy decided for this app, in words.</summary>
    public string? LastDecision { get; set; }

    /// <summary>Connections waiting in the socket's accept queue at the last probe: requests no instance has taken yet.</summary>
    public int QueuedConnections { get; set; }

    /// <summary>Requests the web processes reported past -slow-log ('L' records).</summary>
    public long SlowRequests { get; set; }

    /// <summary>The policy's decisions applied, by kind (dynamic apps).</summary>
    public Dictionary<string, long> Decisions { get; } = new(StringComparer.Ordinal);

    /// <summary>Instances started, by <see cref="ReasonKind"/> (start, restart, recycle, stuck, policy).</summary>
    public Dictionary<string, long> Spawns { get; } = new(StringComparer.Ordinal);

    /// <summary>Instances the PM stopped, by <see cref="ReasonKind"/>.</summary>
    public Dictionary<string, long> Kills { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds one to <paramref name="kind"/>'s count in <see cref="Spawns"/>, <see cref="Kills"/> or <see cref="Decisions"/>.</summary>
    public static void Count(Dictionary<string, long> counts, string kind) =>
        counts[kind] = counts.GetValueOrDefault(kind) + 1;

    /// <summary>The most <see cref="QueuedConnections"/> was at any probe since the PM started.</summary>
    public int QueuedConnectionsMax { get; set; }

    /// <summary>-spawn-timeout, -stuck-timeout, -kill-grace and -diagnose-signal of its instances.</summary>
    public Config.InstanceLimits Limits { get; set; } = Config.InstanceLimits.Default;

    /// <summary>Whether the web processes time its requests (-request-timeout or -slow-log): then the health round keeps CPU baselines of idle instances.</summary>
    public bool RequestsTimed { get; set; }

    /// <summary>The last instance killed for a limit: why, and its diagnosis in one line.</summary>
    public KillRecord? LastKill { get; set; }

    /// <summary>Whether the log has said that an instance of it runs without libpm-shim.so (said once).</summary>
    public bool ShimMissingLogged { get; set; }

    /// <summary>Requests completed, as the web processes report them; null when nothing reports.</summary>
    public long? RequestsCompleted { get; set; }

    /// <summary>Its last minutes (sampled at the health round, events from the lifecycle), for the status page's chart.</summary>
    public Status.AppHistory History { get; } = new();
}
