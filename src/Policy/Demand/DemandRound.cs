namespace Pm.Policy;

/// <summary>
/// One evaluation of the demand policy across all its apps: what every app's decisions share. The instance count
/// grows as apps start instances, so an app evaluated later sees the room the earlier ones took; the next
/// evaluation is the earliest time any app asked for.
/// </summary>
internal sealed class DemandRound
{
    public DemandRound(DemandPolicyOptions options, DemandAppTable apps, PolicyInput input)
    {
        Options = options;
        Apps = apps;
        Now = input.Now;
        Views = input.Apps;
        var instances = input.Global.TotalDynamicInstances;
        foreach (var view in input.Apps)
        {
            instances += view.PendingStarts;
        }

        Instances = instances;
        CpuIdleShare = input.Global.CpuIdleShare;
        Cores = input.Global.Cores;
        ShortCap = Cores is { } cores && options.ShortPerCore > 0 ? options.ShortPerCore * cores : int.MaxValue;
    }

    /// <summary>The machine's idle CPU share over about the last second, for the load report; null when not known.</summary>
    public double? CpuIdleShare { get; }

    /// <summary>
    /// The most instances waiting requests may call for while an app's requests are short: shortPerCore per core,
    /// or no limit where the cores are not known or shortPerCore is 0.
    /// </summary>
    public int ShortCap { get; }

    /// <summary>The machine's cores; null when not known.</summary>
    public int? Cores { get; }

    public DemandPolicyOptions Options { get; }

    /// <summary>The policy's memory of every app, for marking the apps whose instances are reclaimed.</summary>
    public DemandAppTable Apps { get; }

    public DateTimeOffset Now { get; }

    /// <summary>Every app of the evaluation, for retiring other apps' idle instances under maxProcesses pressure.</summary>
    public IReadOnlyList<AppView> Views { get; }

    public List<Decision> Decisions { get; } = [];

    /// <summary>Dynamic instances and pending starts across all apps, those started in this round included: what maxProcesses limits.</summary>
    public int Instances { get; set; }

    /// <summary>The earliest time an app asked to be evaluated again; null when none did.</summary>
    public DateTimeOffset? NextEvaluation { get; private set; }

    /// <summary>Asks for the next evaluation no later than <paramref name="at"/>.</summary>
    public void WakeBy(DateTimeOffset at) =>
        NextEvaluation = NextEvaluation is { } current && current <= at ? current : at;
}
