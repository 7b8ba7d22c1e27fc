using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// Parameters of the default policy. Names follow mod_fastcgi where the concept is the same (maxProcesses,
/// maxClassProcesses, startDelay, restartDelay, minServerLife, maxFailedStarts, failedStartsDelay). Documented in
/// POLICIES.md.
/// </summary>
public sealed record DemandPolicyOptions : PolicySettings
{
    public override string Name => PolicyCatalog.Demand;

    /// <summary>Most dynamic instances across all apps.</summary>
    public int MaxProcesses { get; init; } = 50;

    /// <summary>Most instances of one app (instances of an old binary being replaced do not count).</summary>
    public int MaxClassProcesses { get; init; } = 32;

    /// <summary>Instances kept per app once it has been requested; 0 lets an idle app scale to zero.</summary>
    public int MinClassProcesses { get; init; } = 1;

    /// <summary>
    /// The front end's T-record cadence, and the window in which T records count as waiting requests. Short, because
    /// a T record is this policy's earliest sign that instances are missing.
    /// </summary>
    public override TimeSpan StartDelay { get; init; } = TimeSpan.FromSeconds(0.05);

    /// <summary>Spawn budget: starts available at once (token bucket capacity).</summary>
    public int SpawnBurst { get; init; } = 32;

    /// <summary>Spawn budget: starts added per second (token bucket refill rate).</summary>
    public double SpawnRate { get; init; } = 16;

    /// <summary>Scale-down window: instances beyond the peak demand seen over this long are retired.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// While an app's requests are short (they occupy an instance for less than <see cref="DemandPolicy.ShortRequest"/>, or are not measured yet),
    /// waiting requests start instances up to this many per core of the machine: beyond, they wait for a core, not for
    /// an instance. 0: no limit.
    /// </summary>
    public int ShortPerCore { get; init; } = 4;

    /// <summary>Instances kept above that peak, so a small rise does not wait for a start.</summary>
    public int SpareProcesses { get; init; } = 1;

    /// <summary>First backoff step after more than maxFailedStarts failures in a row; doubles per further failure.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An instance that lives this long without failing ends a failure streak.</summary>
    public TimeSpan MinServerLife { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures in a row tolerated before starts back off.</summary>
    public int MaxFailedStarts { get; init; } = 3;

    /// <summary>Longest backoff between starts of a failing app.</summary>
    public TimeSpan FailedStartsDelay { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Each backoff is stretched or shrunk by up to this fraction at random, so failing apps do not restart in step.</summary>
    public double BackoffJitter { get; init; } = 0.2;

    /// <summary>Each problem names its parameter, and its message starts with that name; empty when the options are usable.</summary>
    public override IReadOnlyList<PolicyProblem> Validate()
    {
        var errors = new List<PolicyProblem>();
        if (MaxProcesses < 1)
        {
            errors.Add(new("maxProcesses", $"maxProcesses {MaxProcesses} must be at least 1"));
        }

        if (MinClassProcesses < 0)
        {
            errors.Add(new("minClassProcesses", $"minClassProcesses {MinClassProcesses} must not be negative"));
        }

        if (MaxClassProcesses < 1 || MaxClassProcesses < MinClassProcesses)
        {
            errors.Add(new("maxClassProcesses", $"maxClassProcesses {MaxClassProcesses} must be at least 1 and at least minClassProcesses {MinClassProcesses}"));
        }

        if (StartDelay <= TimeSpan.Zero)
        {
            errors.Add(new("startDelay", $"startDelay {DurationFormat.Seconds(StartDelay)} must be positive"));
        }

        if (SpawnBurst < 1)
        {
            errors.Add(new("spawnBurst", $"spawnBurst {SpawnBurst} must be at least 1"));
        }

        if (!(SpawnRate > 0) || double.IsInfinity(SpawnRate))
        {
            errors.Add(new("spawnRate", $"spawnRate {ReasonFormat.Number(SpawnRate)} must be a positive number of starts per second"));
        }

        if (IdleTimeout <= TimeSpan.Zero)
        {
            errors.Add(new("idleTimeout", $"idleTimeout {DurationFormat.Seconds(IdleTimeout)} must be positive"));
        }

        if (ShortPerCore < 0)
        {
            errors.Add(new("shortPerCore", $"shortPerCore {ShortPerCore} must not be negative"));
        }

        if (SpareProcesses < 0)
        {
            errors.Add(new("spareProcesses", $"spareProcesses {SpareProcesses} must not be negative"));
        }

        if (RestartDelay < TimeSpan.Zero)
        {
            errors.Add(new("restartDelay", $"restartDelay {DurationFormat.Seconds(RestartDelay)} must not be negative"));
        }

        if (MinServerLife < TimeSpan.Zero)
        {
            errors.Add(new("minServerLife", $"minServerLife {DurationFormat.Seconds(MinServerLife)} must not be negative"));
        }

        if (MaxFailedStarts < 0)
        {
            errors.Add(new("maxFailedStarts", $"maxFailedStarts {MaxFailedStarts} must not be negative"));
        }

        if (FailedStartsDelay < RestartDelay)
        {
            errors.Add(new("failedStartsDelay", $"failedStartsDelay {DurationFormat.Seconds(FailedStartsDelay)} must be at least restartDelay {DurationFormat.Seconds(RestartDelay)}"));
        }

        if (BackoffJitter is < 0 or >= 1 || double.IsNaN(BackoffJitter))
        {
            errors.Add(new("backoffJitter", $"backoffJitter {ReasonFormat.Number(BackoffJitter)} must be at least 0 and below 1"));
        }

        return errors;
    }

    internal static DemandPolicyOptions Read(PolicyParameterReader reader)
    {
        var d = new DemandPolicyOptions();
        return new DemandPolicyOptions
        {
            MaxProcesses = reader.Int("maxProcesses", d.MaxProcesses),
            MaxClassProcesses = reader.Int("maxClassProcesses", d.MaxClassProcesses),
            MinClassProcesses = reader.Int("minClassProcesses", d.MinClassProcesses),
            StartDelay = reader.Seconds("startDelay", d.StartDelay),
            SpawnBurst = reader.Int("spawnBurst", d.SpawnBurst),
            SpawnRate = reader.Number("spawnRate", d.SpawnRate),
            IdleTimeout = reader.Seconds("idleTimeout", d.IdleTimeout),
            ShortPerCore = reader.Int("shortPerCore", d.ShortPerCore),
            SpareProcesses = reader.Int("spareProcesses", d.SpareProcesses),
            RestartDelay = reader.Seconds("restartDelay", d.RestartDelay),
            MinServerLife = reader.Seconds("minServerLife", d.MinServerLife),
            MaxFailedStarts = reader.Int("maxFailedStarts", d.MaxFailedStarts),
            FailedStartsDelay = reader.Seconds("failedStartsDelay", d.FailedStartsDelay),
            BackoffJitter = reader.Number("backoffJitter", d.BackoffJitter),
        };
    }
}
