using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// Prefork-style limits (spamd's --min-spare/--max-spare/--min-children/--max-children) per app, plus the global cap
/// and the front end's T cadence shared with the other policies. Documented in POLICIES.md.
/// </summary>
public sealed record SparePolicyOptions : PolicySettings
{
    public override string Name => PolicyCatalog.Spare;

    /// <summary>Start an instance while fewer than this many are idle (spamd min-spare).</summary>
    public int MinSpareProcesses { get; init; } = 1;

    /// <summary>Retire an idle instance while more than this many are idle (spamd max-spare).</summary>
    public int MaxSpareProcesses { get; init; } = 2;

    /// <summary>Never retire below this many instances of an app; an app that needs them starts this many at once.</summary>
    public int MinClassProcesses { get; init; } = 1;

    /// <summary>Most instances of one app (spamd max-children is 5; 10 matches classic's maxClassProcesses).</summary>
    public int MaxClassProcesses { get; init; } = 10;

    /// <summary>Most dynamic instances across all apps.</summary>
    public int MaxProcesses { get; init; } = 50;

    /// <summary>The front end's T-record cadence; this policy reacts to instance states, not to T records.</summary>
    public override TimeSpan StartDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Each problem names its parameter, and its message starts with that name; empty when the options are usable.</summary>
    public override IReadOnlyList<PolicyProblem> Validate()
    {
        var errors = new List<PolicyProblem>();
        if (MinSpareProcesses < 0)
        {
            errors.Add(new("minSpareProcesses", $"minSpareProcesses {MinSpareProcesses} must not be negative"));
        }

        if (MaxSpareProcesses < MinSpareProcesses)
        {
            errors.Add(new("maxSpareProcesses", $"maxSpareProcesses {MaxSpareProcesses} must be at least minSpareProcesses {MinSpareProcesses}"));
        }

        if (MinClassProcesses < 0)
        {
            errors.Add(new("minClassProcesses", $"minClassProcesses {MinClassProcesses} must not be negative"));
        }

        if (MaxClassProcesses < 1 || MaxClassProcesses < MinClassProcesses)
        {
            errors.Add(new("maxClassProcesses", $"maxClassProcesses {MaxClassProcesses} must be at least 1 and at least minClassProcesses {MinClassProcesses}"));
        }

        if (MaxProcesses < 1)
        {
            errors.Add(new("maxProcesses", $"maxProcesses {MaxProcesses} must be at least 1"));
        }

        if (StartDelay <= TimeSpan.Zero)
        {
            errors.Add(new("startDelay", $"startDelay {DurationFormat.Seconds(StartDelay)} must be positive"));
        }

        return errors;
    }

    internal static SparePolicyOptions Read(PolicyParameterReader reader)
    {
        var d = new SparePolicyOptions();
        return new SparePolicyOptions
        {
            MinSpareProcesses = reader.Int("minSpareProcesses", d.MinSpareProcesses),
            MaxSpareProcesses = reader.Int("maxSpareProcesses", d.MaxSpareProcesses),
            MinClassProcesses = reader.Int("minClassProcesses", d.MinClassProcesses),
            MaxClassProcesses = reader.Int("maxClassProcesses", d.MaxClassProcesses),
            MaxProcesses = reader.Int("maxProcesses", d.MaxProcesses),
            StartDelay = reader.Seconds("startDelay", d.StartDelay),
        };
    }
}
