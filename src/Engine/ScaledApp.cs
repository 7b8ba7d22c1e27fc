using Pm.Policy;

namespace Pm.Engine;

/// <summary>
/// One dynamic app as the engine tracks it while it is open: its group, the starts decided but not made yet,
/// and what its policy said last. Its instances are the pool's.
/// </summary>
public sealed class ScaledApp(string id, PolicyGroup group)
{
    public string Id { get; } = id;

    public PolicyGroup Group { get; } = group;

    /// <summary>Starts decided but not made yet, each with the time it is due.</summary>
    internal List<DateTimeOffset> PendingStarts { get; } = [];

    internal ITimer? PendingTimer { get; set; }

    public int PendingCount => PendingStarts.Count;

    public DateTimeOffset? NextPendingStart => PendingStarts.Count > 0 ? PendingStarts.Min() : null;

    /// <summary>The policy's figures at its last evaluation.</summary>
    public AppLoad? Load { get; internal set; }

    /// <summary>The last decision about this app, in words ("demand: ...").</summary>
    public string? LastDecision { get; internal set; }

    /// <summary>Requests completed, as the web processes report them.</summary>
    public long RequestsCompleted { get; internal set; }

    /// <summary>Whether the last instance to exit was retired rather than dying on its own: only then is the socket given up.</summary>
    internal bool LastExitWasRetirement { get; set; }
}
