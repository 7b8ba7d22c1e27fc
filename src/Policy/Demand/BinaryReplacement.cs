namespace Pm.Policy;

/// <summary>
/// New binary (R): instances started before the modification are stale. Replacements for all of them are started at
/// once (within the budget); stale instances retire as soon as they are idle.
/// </summary>
internal static class BinaryReplacement
{
    /// <summary>Takes the capacity to restore when the binary has just changed; forgets the change once no old instance lives.</summary>
    public static void Update(DemandApp app, int staleLive)
    {
        if (app.BinaryChangePending)
        {
            app.BinaryChangePending = false;
            app.ReplacementTarget = staleLive;
        }

        if (app.StaleBefore is not null && staleLive == 0)
        {
            app.StaleBefore = null;
            app.ReplacementTarget = 0;
        }
    }

    /// <summary>Instances of the new binary wanted while old ones live: the capacity the app had when it changed.</summary>
    public static int Target(DemandApp app) => app.StaleBefore is null ? 0 : app.ReplacementTarget;

    /// <summary>Retires every stale idle instance that holds no request.</summary>
    public static void RetireIdle(DemandApp app, IReadOnlyList<InstanceView> staleIdle, DemandRound round)
    {
        foreach (var old in staleIdle)
        {
            if (!old.HoldsRequest)
            {
                round.Decisions.Add(new RetireInstance(app.AppId, old.InstanceId,
                    $"the binary changed at {ReasonFormat.Time(app.StaleBefore!.Value)}; retiring instance {old.InstanceId}"
                    + $" (started {ReasonFormat.Time(old.StartedAt)}) now that it is idle"));
            }
        }
    }
}
