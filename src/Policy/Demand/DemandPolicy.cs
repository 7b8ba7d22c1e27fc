using Pm.Shared;

namespace Pm.Policy;

/// <summary>
/// The default policy: start as many instances as the waiting requests need at once, within a spawn budget; retire
/// what the peak demand of the last idleTimeout does not need; never retire an instance holding a request.
/// </summary>
/// <remarks>
/// Constraints: the PM cannot see its front end's queue. What it sees is S records (a request found no instance), T
/// records (a request has waited startDelay; repeated every startDelay while it waits), C records (done, with queue
/// and service time) and instance states. So:
///
/// Waiting estimate W: the T records of the last 0.8 startDelay, one per waiting request, minus the requests that have
/// been served since (a C record frees an instance that takes the oldest waiter; a new instance found Busy took
/// one); if any instance is idle, nothing is waiting (the front end hands requests to idle instances first), so W
/// is 0. The PM also counts the connections in the app's accept queue (from the kernel): W is at least those not
/// about to be taken by idle instances, which shows a queue before any request has waited startDelay.
///
/// Short requests: while an app's requests occupy an instance for less than 10 ms (or are not measured yet),
/// waiting requests start instances up to shortPerCore per core of the machine only: such a request waits for a core,
/// not for an instance (hello-world requests at c=64 on 2 cores ran 32 instances where 8 serve as many). Occupancy is
/// the mean working level / completions per second under load, over the span those completions cover (the front
/// end's service time misses an app that answers at the end).
///
/// Drain credit: instances keep taking waiting requests while new ones start. With the measured spawn latency L and
/// mean service time s, within L a busy or idle instance takes about L / s of them and a starting instance of age a about
/// min(a, L) / s once it is up, less the requests that arrive meanwhile (the last second's completion rate times L:
/// a saturated app's queue does not drain, and an app completing 0.8 of what its busy instances can is saturated);
/// only the rest of W needs instances started now.
///
/// Cold start: before any request has completed, s is unknown. Then W waits for the first instance to be up, and
/// for min(L, startDelay) after that: if a request completes meanwhile, s is measured and the drain credit decides;
/// if none does, requests take at least that long and everything needed starts at once. A burst of fast requests so
/// starts what they need instead of an instance per queued connection, and a burst of slow ones waits one L more.
///
/// Scale up: wanted = max(busy + (W - credit) + spareProcesses when there is load, minClassProcesses once requested,
/// instances being replaced after R); the shortfall against fresh instances (idle + busy + starting) and pending
/// starts is started at once, limited by maxClassProcesses, maxProcesses and a token bucket (spawnBurst at once,
/// spawnRate per second). mod_fastcgi starts one instance per startDelay instead.
///
/// Scale down, with hysteresis: nothing for idleTimeout after a scale-up; then keep = max(minClassProcesses, ceil(peak over idleTimeout of the per-second average of
/// busy instances) + spareProcesses), and never below busy + spareProcesses. Under load the same level is a scale-up
/// target too (capped at busy + spareProcesses), which holds a spare ready without chasing momentary peaks. Pending starts beyond that are cancelled first, then idle instances not holding a
/// request are retired, the longest idle first. Requests spread round-robin never leave one instance idle for long,
/// so the floor comes from measured concurrency, not from per-instance idle time; averaging per second keeps random
/// coincidences of arrivals from holding instances for a whole window.
///
/// Failures: an exit the PM did not ask for, unclean or before serving anything inside minServerLife, extends a
/// streak; beyond maxFailedStarts in a row, starts wait restartDelay * 2^k (capped at failedStartsDelay, with
/// jitter from the injected Random). An instance started after the last failure that lives minServerLife ends it.
///
/// New binary (R): instances started before the modification are stale. Replacements for all of them are started at
/// once (within the budget); stale instances retire as soon as they are idle.
/// </remarks>
public sealed class DemandPolicy : IScalingPolicy
{
    private readonly DemandPolicyOptions _options;
    private readonly Random _random;
    private readonly DemandAppTable _apps;

    public DemandPolicy(DemandPolicyOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid demand policy options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
        _random = random;
        _apps = new DemandAppTable(options);
    }

    public string Name => PolicyCatalog.Demand;

    public TimeSpan StartDelay => _options.StartDelay;

    /// <summary>The share of startDelay over which T records are counted as waiting requests.</summary>
    public const double SignalWindowShare = 0.8;

    public DemandPolicyOptions Options => _options;

    /// <summary>
    /// Requests that hold an instance for less than this are short: the cores, not the instances, limit them, and
    /// waiting ones start at most shortPerCore instances per core. Well below any startDelay, so that requests which
    /// wait on something else (a database, a sleep) for tens of milliseconds are never capped.
    /// </summary>
    public static readonly TimeSpan ShortRequest = TimeSpan.FromMilliseconds(10);

    /// <summary>How long an instance of another app must have been idle before maxProcesses pressure retires it.</summary>
    public static readonly TimeSpan ReclaimAfterIdle = TimeSpan.FromSeconds(1);

    public PolicyResult Evaluate(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        foreach (var ev in input.Events)
        {
            DemandEvents.Apply(_apps.GetOrCreate(ev.AppId), ev, _options, _random);
        }

        var round = new DemandRound(_options, _apps, input);
        var loads = new List<AppLoad>(input.Apps.Count);
        foreach (var view in input.Apps)
        {
            if (!_apps.Contains(view.AppId) && view.Instances.Count == 0 && view.PendingStarts == 0)
            {
                loads.Add(new AppLoad(view.AppId, new Dictionary<string, double>(), "not requested yet"));
                continue;
            }

            loads.Add(EvaluateApp(_apps.GetOrCreate(view.AppId), view, round));
        }

        _apps.RetainOnly(input.Apps);
        return new PolicyResult(round.Decisions, round.NextEvaluation, loads);
    }

    private static AppLoad EvaluateApp(DemandApp app, AppView view, DemandRound round)
    {
        app.TrimWindows(round.Now, round.Options);
        if (view.Instances.Count > 0 || view.PendingStarts > 0)
        {
            app.Activated = true;
        }

        var census = DemandCensus.Take(app, view, round.Now);
        BinaryReplacement.Update(app, census.StaleLive);
        BinaryReplacement.RetireIdle(app, census.StaleIdle, round);
        FailureStreak.EndIfRecovered(app, view, round.Now, round.Options);
        var figures = DemandFigures.Compute(app, census, view, round);
        var outcome = Decide(app, census, figures, round);

        // Wake when the peak may fall, as long as a fall would leave instances to retire; and when it may rise to the
        // spare that the busy instances call for (the averaged level lags them by up to a bucket, and no record may
        // come meanwhile: without this the spare waited for the next record, or for ever).
        var mayFall = outcome.Supply > Math.Max(Math.Max(figures.Floor, figures.KeepBusy), figures.Replacement);
        var mayRise = figures.KeepBusy > outcome.Supply;
        if ((mayFall || mayRise) && app.PeakDemand.NextChange(round.Options.IdleTimeout) is { } change)
        {
            round.WakeBy(change);
        }

        return DemandLoadReport.Build(app, figures, outcome, round);
    }

    // Up to what is wanted; else down, after the hold, to what is kept; else nothing.
    private static DemandOutcome Decide(DemandApp app, DemandCensus census, DemandFigures f, DemandRound round)
    {
        if (f.Shortfall > 0)
        {
            var (note, started) = DemandScaleUp.Run(app, f, round);
            return new DemandOutcome(note, f.Supply + started, f.Keep);
        }

        app.MaxReached.Held(false);

        if (f.Waiting != 0 || f.Supply <= Math.Max(f.Keep, f.KeepBusy))
        {
            return new DemandOutcome("enough instances", f.Supply, f.Keep);
        }

        var idleTimeout = round.Options.IdleTimeout;
        if (app.LastScaleUp is { } up && round.Now - up < idleTimeout)
        {
            // Hysteresis: what a scale-up started is kept for idleTimeout. The per-second averages only catch
            // up with a burst after its first second, and a closed loop of clients leaves instances idle for moments.
            round.WakeBy(up + idleTimeout);
            return new DemandOutcome(
                $"holding the instances started at {ReasonFormat.Time(up)} for idleTimeout {DurationFormat.Seconds(idleTimeout)}", f.Supply, f.Keep);
        }

        // Never below what is busy right now plus the spare, whatever the averages say.
        var keep = Math.Max(f.Keep, f.KeepBusy);
        var (downNote, supply) = DemandScaleDown.Run(app, f, keep, census.FreshIdle, round);
        return new DemandOutcome(downNote, supply, keep);
    }
}
