namespace Pm.Engine;

/// <summary>When the engine evaluates, besides the records that ask for it at once.</summary>
public sealed record ScalingEngineOptions
{
    /// <summary>How often the accept queues are looked at while apps get traffic: the demand no web process has reported yet. Zero: never.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Probing stops this long after the last record from a web process, so idle apps cost nothing.</summary>
    public TimeSpan ProbeWhileActive { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While an instance the engine started may still be coming up (this long after the last start), the accept
    /// queues are looked at every <see cref="StartingProbeInterval"/> instead: a cold start's first instance is seen
    /// up, and the requests it leaves waiting are seen, up to 15 ms sooner.
    /// </summary>
    public TimeSpan StartingProbeWindow { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The probe interval within <see cref="StartingProbeWindow"/> of a start. Zero: no faster probing.</summary>
    public TimeSpan StartingProbeInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The most live instances (across every dynamic app) for which the faster probing applies: a probe reads the
    /// descriptors of every instance (20-40 µs each), so past this a probe every 5 ms would take a large share of a
    /// core for the window.
    /// </summary>
    public int StartingProbeMaxInstances { get; init; } = 32;

    /// <summary>Completion records only refine statistics; the evaluations they cause are coalesced this long.</summary>
    public TimeSpan CompletionCoalescing { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How often a settled group is asked again: one whose last evaluation decided nothing while connections waited
    /// in an accept queue, with no instance starting, no start held, and no start within
    /// <see cref="StartingProbeWindow"/>; typically an app held at its short cap or at maxClassProcesses under
    /// steady load. Its completions then ask for no evaluation of their own; the probe looks at its queues this
    /// often (while every group is settled) and asks the policy again this long after its last evaluation, reusing
    /// the probe's look. Records that ask for an evaluation at once (S, T, exits) still do. Measured at c=64
    /// on a hello app held at 8 instances on 2 cores: the PM looked at every instance's descriptors 190 times a
    /// second for no decision, 15 % of a core. Zero: no settled state.
    /// </summary>
    public TimeSpan SettledInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// As <see cref="CompletionCoalescing"/>, for an app with connections waiting in its accept queue at the last
    /// probe: its completions may show its requests are long ones, which the waiting requests need known at once
    /// (a burst held at the short cap starts the rest when they are).
    /// </summary>
    public TimeSpan QueuedCompletionCoalescing { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The shortest delay of a timer the engine sets: a policy that asks to be evaluated "now" again (or keeps
    /// deciding something that makes it want another look) is evaluated this much later, so time always moves on.
    /// </summary>
    public TimeSpan MinimumDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    public static ScalingEngineOptions Default { get; } = new();
}
