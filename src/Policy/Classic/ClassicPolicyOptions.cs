using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// mod_fastcgi's FastCgiConfig options for dynamic apps, with its names and defaults, plus its compile-time backoff
/// constants and the switch that reproduces its integer-division bug. Documented in POLICIES.md.
/// </summary>
public sealed record ClassicPolicyOptions : PolicySettings
{
    public override string Name => PolicyCatalog.Classic;

    /// <summary>Most dynamic instances across all apps; S/T are ignored at this total.</summary>
    public int MaxProcesses { get; init; } = 50;

    /// <summary>The kill policy stops choosing victims once the global total minus this round's victims is at or below this.</summary>
    public int MinProcesses { get; init; } = 5;

    /// <summary>Slots (most instances) per app.</summary>
    public int MaxClassProcesses { get; init; } = 10;

    /// <summary>How often the kill policy runs.</summary>
    public TimeSpan KillInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How often the connection-time statistics are smoothed.</summary>
    public TimeSpan UpdateInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Weight of the newest interval in the smoothed connection time.</summary>
    public double GainValue { get; init; } = 0.5;

    /// <summary>Load factor (percent) at or above which the last instance of an app is kept; 0 keeps it always.</summary>
    public int SingleThreshold { get; init; }

    /// <summary>Load (percent, scaled by n/(n-1)) at or above which an app with several instances keeps them all.</summary>
    public int MultiThreshold { get; init; } = 50;

    /// <summary>The front end's T-record cadence: wait this long for a first byte before asking for another instance.</summary>
    public override TimeSpan StartDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The kill policy also runs whenever the global total plus this reaches <see cref="MaxProcesses"/>.</summary>
    public int ProcessSlack { get; init; } = 5;

    /// <summary>Restart an app's instance whenever it exits on its own (mod_fastcgi's -restart / dynamicAutoRestart).</summary>
    public bool Restart { get; init; }

    /// <summary>Least time between the app's last spawn and a spawn into a never-used slot.</summary>
    public TimeSpan InitStartDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Least time between the app's last spawn and a spawn into a slot that ran before.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A slot whose process was started longer ago than this (or a running sibling that old) ends the backoff.</summary>
    public TimeSpan MinServerLife { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unprovoked exits beyond this count switch the app to <see cref="FailedStartsDelay"/> (MAX_FAILED_STARTS).</summary>
    public int MaxFailedStarts { get; init; } = 3;

    /// <summary>Spacing of starts while backed off (FAILED_STARTS_DELAY).</summary>
    public TimeSpan FailedStartsDelay { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// Reproduce mod_fastcgi's <c>n/(n-1)*loadFactor</c> computed in integers, where n/(n-1) is 1 for every n above 2,
    /// so apps with 3 or more instances are shrunk at loads the formula means to protect. Off: the ratio is exact.
    /// </summary>
    public bool ReproduceIntegerDivision { get; init; }

    /// <summary>Each problem names its parameter, and its message starts with that name; empty when the options are usable.</summary>
    public override IReadOnlyList<PolicyProblem> Validate()
    {
        var errors = new List<PolicyProblem>();
        if (MaxProcesses < 1)
        {
            errors.Add(new("maxProcesses", $"maxProcesses {MaxProcesses} must be at least 1"));
        }

        if (MinProcesses < 0)
        {
            errors.Add(new("minProcesses", $"minProcesses {MinProcesses} must not be negative"));
        }

        if (MaxClassProcesses < 1)
        {
            errors.Add(new("maxClassProcesses", $"maxClassProcesses {MaxClassProcesses} must be at least 1"));
        }

        if (KillInterval <= TimeSpan.Zero)
        {
            errors.Add(new("killInterval", $"killInterval {DurationFormat.Seconds(KillInterval)} must be positive"));
        }

        if (UpdateInterval <= TimeSpan.Zero)
        {
            errors.Add(new("updateInterval", $"updateInterval {DurationFormat.Seconds(UpdateInterval)} must be positive"));
        }

        if (GainValue is < 0 or > 1 || double.IsNaN(GainValue))
        {
            errors.Add(new("gainValue", $"gainValue {ReasonFormat.Number(GainValue)} must be between 0 and 1"));
        }

        if (SingleThreshold is < 0 or > 100)
        {
            errors.Add(new("singleThreshold", $"singleThreshold {SingleThreshold} must be a percentage between 0 and 100"));
        }

        if (MultiThreshold is < 0 or > 100)
        {
            errors.Add(new("multiThreshold", $"multiThreshold {MultiThreshold} must be a percentage between 0 and 100"));
        }

        if (StartDelay <= TimeSpan.Zero)
        {
            errors.Add(new("startDelay", $"startDelay {DurationFormat.Seconds(StartDelay)} must be positive"));
        }

        if (ProcessSlack < 0 || ProcessSlack > MaxProcesses)
        {
            errors.Add(new("processSlack", $"processSlack {ProcessSlack} must be between 0 and maxProcesses {MaxProcesses}"));
        }

        if (InitStartDelay < TimeSpan.Zero)
        {
            errors.Add(new("initStartDelay", $"initStartDelay {DurationFormat.Seconds(InitStartDelay)} must not be negative"));
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

        if (FailedStartsDelay < TimeSpan.Zero)
        {
            errors.Add(new("failedStartsDelay", $"failedStartsDelay {DurationFormat.Seconds(FailedStartsDelay)} must not be negative"));
        }

        return errors;
    }

    internal static ClassicPolicyOptions Read(PolicyParameterReader reader)
    {
        var d = new ClassicPolicyOptions();
        return new ClassicPolicyOptions
        {
            MaxProcesses = reader.Int("maxProcesses", d.MaxProcesses),
            MinProcesses = reader.Int("minProcesses", d.MinProcesses),
            MaxClassProcesses = reader.Int("maxClassProcesses", d.MaxClassProcesses),
            KillInterval = reader.Seconds("killInterval", d.KillInterval),
            UpdateInterval = reader.Seconds("updateInterval", d.UpdateInterval),
            GainValue = reader.Number("gainValue", d.GainValue),
            SingleThreshold = reader.Int("singleThreshold", d.SingleThreshold),
            MultiThreshold = reader.Int("multiThreshold", d.MultiThreshold),
            StartDelay = reader.Seconds("startDelay", d.StartDelay),
            ProcessSlack = reader.Int("processSlack", d.ProcessSlack),
            Restart = reader.Switch("restart", d.Restart),
            InitStartDelay = reader.Seconds("initStartDelay", d.InitStartDelay),
            RestartDelay = reader.Seconds("restartDelay", d.RestartDelay),
            MinServerLife = reader.Seconds("minServerLife", d.MinServerLife),
            MaxFailedStarts = reader.Int("maxFailedStarts", d.MaxFailedStarts),
            FailedStartsDelay = reader.Seconds("failedStartsDelay", d.FailedStartsDelay),
            ReproduceIntegerDivision = reader.Switch("reproduceIntegerDivision", d.ReproduceIntegerDivision),
        };
    }
}
