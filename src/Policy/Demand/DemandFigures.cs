namespace Pm.Policy;

/// <summary>
/// One app's figures for one evaluation, computed once from its census, its memory and the snapshot: what is
/// busy, idle, starting and waiting, the demand levels, and the instances wanted now and kept. Every decision and
/// the load report read them; none changes them.
/// </summary>
internal sealed record DemandFigures
{
    public required int Busy { get; init; }

    /// <summary>Idle instances of the current binary, the ones scale-down may retire.</summary>
    public required int FreshIdle { get; init; }

    /// <summary>Idle instances of any binary.</summary>
    public required int Idle { get; init; }

    public required int FreshStarting { get; init; }

    public required int Pending { get; init; }

    public required int Retiring { get; init; }

    /// <summary>Connections in the accept queue that idle instances are not about to take.</summary>
    public required int Queued { get; init; }

    /// <summary>The waiting estimate W: T records not answered yet, at least the queued connections.</summary>
    public required int Waiting { get; init; }

    /// <summary>The accept queue, not T records, shows the waiting requests.</summary>
    public required bool WaitingQueued { get; init; }

    /// <summary>Instances the waiting requests called for beyond shortPerCore per core, not started: the requests are short.</summary>
    public required int BeyondShortCap { get; init; }

    /// <summary>What a request occupies an instance for, as far as measured (<see cref="DrainCredit.Occupancy"/>).</summary>
    public required double? Occupancy { get; init; }

    /// <summary>Waiting requests held back because no request has completed yet (see <see cref="ColdStartHold"/>).</summary>
    public required int ColdHeld { get; init; }

    /// <summary>An S record arrived since the last evaluation.</summary>
    public required bool Requested { get; init; }

    /// <summary>Peak over idleTimeout of the per-second average of busy instances.</summary>
    public required double Peak { get; init; }

    /// <summary>Fresh instances (idle, busy, starting) and pending starts.</summary>
    public required int Supply { get; init; }

    public required int Credit { get; init; }

    /// <summary>Busy instances and the waiting requests they cannot take in time.</summary>
    public required int Immediate { get; init; }

    /// <summary>minClassProcesses once requested, at least one on an S record.</summary>
    public required int Floor { get; init; }

    /// <summary>The floor that starts instances: nothing for an app reclaimed and not requested since.</summary>
    public required int StartFloor { get; init; }

    public required int Replacement { get; init; }

    /// <summary>What scale-down keeps: the floor, the peak level plus the spare, the replacement.</summary>
    public required int Keep { get; init; }

    /// <summary>The busy instances plus the spare: never retired below.</summary>
    public required int KeepBusy { get; init; }

    /// <summary>What scale-up aims at.</summary>
    public required int Wanted { get; init; }

    public int Shortfall => Wanted - Supply;

    /// <summary>Requests wait (T records, the accept queue) or a start was requested: worth reclaiming other apps' instances for.</summary>
    public bool Urgent => Waiting > 0 || Requested;

    /// <summary>Computes the figures; records the busy level in the peak and consumes the S record flag.</summary>
    public static DemandFigures Compute(DemandApp app, DemandCensus census, AppView view, DemandRound round)
    {
        var o = round.Options;
        // Requests in the accept queue are waiting too, seen before any T record; idle instances take as many next.
        var queued = Math.Max(0, view.QueuedConnections - census.Idle);
        var waiting = Math.Max(app.Signals.Count, queued);

        // Demand: busy instances, waiting requests the busy ones cannot take in time, and the recent average level.
        // Waiting requests are a backlog, not a level of use: the floor follows busy instances only.
        app.PeakDemand.Add(round.Now, census.Busy);
        var peak = app.PeakDemand.Peak(round.Now, o.IdleTimeout);
        var coldHeld = ColdStartHold.Held(app, waiting, census.FreshStarting + view.PendingStarts > 0 || app.StartRequested, round);
        // With more connections waiting than the idle instances could take, the idle ones are not idle: an instance
        // between two requests of a few microseconds looks idle to the probe (its sockets and the kernel's table are
        // read a moment apart, and it has a new connection by then), yet takes a queued connection at once. Counted
        // idle, two saturated hello-world instances at c=64 were credited with draining the queue for half a second.
        var idleWork = view.QueuedConnections > census.Idle;
        var working = idleWork ? census.Busy + census.Idle : census.Busy;
        app.Working.Record(round.Now, working);
        var credit = coldHeld > 0 ? coldHeld : DrainCredit.Compute(app, working, idleWork ? 0 : census.Idle, census.StartingSeconds, waiting);
        var uncapped = working + waiting - credit;
        // Short requests (or not yet measured ones): the cores, not the instances, are the limit beyond shortPerCore
        // instances per core; requests wait there for a core, and another instance would wait with them.
        var occupancy = DrainCredit.Occupancy(app, working);
        var isShort = occupancy is not { } o2 || o2 < DrainCredit.LongFrom(app);
        var immediate = isShort ? Math.Min(uncapped, Math.Max(round.ShortCap, working)) : uncapped;
        var requested = app.StartRequested;
        var floor = Math.Max(app.Activated ? o.MinClassProcesses : 0, requested ? 1 : 0);
        app.StartRequested = false;
        // An app whose instances were retired to make room for another keeps what it has, but starts nothing back
        // for its floor until it is requested again.
        var startFloor = app.Reclaimed ? (requested ? 1 : 0) : floor;
        var replacement = BinaryReplacement.Target(app);
        var keepPeak = KeepFor(peak, o.SpareProcesses);
        var keepBusy = KeepFor(census.Busy, o.SpareProcesses);
        // Under load the spare is held at the averaged level. But a spare for short requests that wait for a core is
        // never idle: it takes a queued connection at once, counts busy, and raises the level the next spare is added
        // to (a hello app at c=64 on 2 cores went 8, 9, 10, 11 instances in 30 s). Where the cores are the limit, the
        // spare stops at the short cap.
        var spare = Math.Min(keepPeak, keepBusy);
        if (isShort && waiting > 0)
        {
            spare = Math.Min(spare, Math.Max(round.ShortCap, working));
        }
        return new DemandFigures
        {
            Busy = census.Busy,
            FreshIdle = census.FreshIdle.Count,
            Idle = census.Idle,
            FreshStarting = census.FreshStarting,
            Pending = view.PendingStarts,
            Retiring = census.Retiring,
            Queued = queued,
            Waiting = waiting,
            WaitingQueued = queued >= app.Signals.Count,
            BeyondShortCap = uncapped - immediate,
            Occupancy = occupancy,
            ColdHeld = coldHeld,
            Requested = requested,
            Peak = peak,
            Supply = census.FreshIdle.Count + census.FreshBusy + census.FreshStarting + view.PendingStarts,
            Credit = credit,
            Immediate = immediate,
            Floor = floor,
            StartFloor = startFloor,
            Replacement = replacement,
            Keep = Math.Max(Math.Max(floor, keepPeak), replacement),
            KeepBusy = keepBusy,
            // With nothing busy, never start for the past (keepBusy is 0 then).
            Wanted = Math.Max(Math.Max(immediate, Math.Max(startFloor, replacement)), spare),
        };
    }

    // Instances to keep for a demand level: the level, rounded up, plus the spare when there is any demand.
    private static int KeepFor(double demand, int spareProcesses)
    {
        var level = (int)Math.Ceiling(demand - 1e-9);
        return level > 0 ? level + spareProcesses : 0;
    }
}
