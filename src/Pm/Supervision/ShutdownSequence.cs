using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Pm.Supervision;

/// <summary>
/// The PM's shutdown, as an explicit state machine (like Microsoft.Extensions.Hosting's lifetime). Runs on the
/// supervisor loop only; every phase change goes through <see cref="TransitionTo"/>.
/// <code>
///   Running ──request──▶ StoppingWebProcesses ──last web process gone, or grace over──▶ StoppingApps
///      └──────request, no web processes──────────────────────────────────────────────────▲
///   StoppingApps ──deadline──▶ Killing ──first sweep──▶ Sweeping
///   any phase after Running ──nothing left (or the sweep limit passed)──▶ Done
/// </code>
/// <para>
/// The web processes go first, finishing the requests they hold while the apps still run; then SIGTERM to every
/// app's process group, SIGKILL to what is left at the deadline (a grace after the SIGTERMs), and a sweep every
/// 10 ms for descendants re-parented to the PM and groups that outlived their leader, until none is left or 3 s
/// after the deadline. Instances that exit in any phase are reported to <see cref="OnInstanceExited"/>. Nothing
/// starts once the shutdown has begun: the caller's <c>stopStarting</c> cancels every scheduled start first.
/// </para>
/// </summary>
public sealed class ShutdownSequence
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan SweepLimit = TimeSpan.FromSeconds(3);

    private readonly IInstanceStopper _instances;
    private readonly EventTimers _timers;
    private readonly Action<SupervisorEvent> _post;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly ILogger _log;
    private readonly LoopGuard _loop;
    private readonly Action _onDone;
    private TaskCompletionSource? _done;
    private DateTimeOffset _deadline;

    /// <param name="grace">Between SIGTERM and SIGKILL, for the web processes and again for the apps.</param>
    /// <param name="onDone">Runs once everything is reaped (or given up on), before the requester is told: release sockets, end the loop.</param>
    public ShutdownSequence(IInstanceStopper instances, EventTimers timers, Action<SupervisorEvent> post, TimeProvider time,
        TimeSpan grace, ILogger log, LoopGuard loop, Action onDone)
    {
        _instances = instances;
        _timers = timers;
        _post = post;
        _time = time;
        _grace = grace;
        _log = log;
        _loop = loop;
        _onDone = onDone;
    }

    public ShutdownPhase Phase { get; private set; } = ShutdownPhase.Running;

    /// <summary>Whether a shutdown was asked for (whatever phase it has reached since).</summary>
    public bool HasBegun => Phase != ShutdownPhase.Running;

    /// <summary>
    /// Begins the shutdown, or, when one is under way, completes <paramref name="done"/> with it. Runs
    /// <paramref name="stopStarting"/> before the first SIGTERM, then stops the web processes (or, without any, the apps).
    /// </summary>
    public void Begin(TaskCompletionSource done, Action stopStarting)
    {
        _loop.AssertOnLoop();
        if (_done is not null)
        {
            _done.Task.ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
            return;
        }

        _done = done;
        _deadline = _time.GetUtcNow() + _grace;
        _log.LogInformation("shutting down: SIGTERM to every app's process group, SIGKILL to what remains after {Grace:0.###} s", _grace.TotalSeconds);
        stopStarting();
        var web = _instances.Live.Where(IsWebProcess).ToList();
        if (web.Count > 0)
        {
            // The web processes go first, finishing the requests they hold while the apps still run.
            TransitionTo(ShutdownPhase.StoppingWebProcesses);
            _deadline += _grace;
            foreach (var instance in web)
            {
                _instances.Stop(instance, _grace, "PM shutting down (web processes first)", ReasonKind.Shutdown);
            }

            _timers.After(_grace, new SupervisorEvent.ShutdownAppsDue());
        }
        else
        {
            StopApps();
        }

        CheckComplete();
    }

    /// <summary>An instance exited (reaped and reported) while shutting down.</summary>
    public void OnInstanceExited()
    {
        _loop.AssertOnLoop();
        if (Phase == ShutdownPhase.StoppingWebProcesses && !_instances.Live.Any(IsWebProcess))
        {
            StopApps();
        }

        CheckComplete();
    }

    /// <summary>The web processes' grace is over: the apps are stopped whether or not every web process has exited.</summary>
    public void OnWebGraceEnded()
    {
        _loop.AssertOnLoop();
        if (Phase == ShutdownPhase.StoppingWebProcesses)
        {
            StopApps();
        }
    }

    /// <summary>The apps' grace is over: SIGKILL to everything left.</summary>
    public void OnDeadline()
    {
        _loop.AssertOnLoop();
        TransitionTo(ShutdownPhase.Killing);
        _instances.KillAll();
        _post(new SupervisorEvent.ShutdownSweep());
    }

    /// <summary>Time to look again for what is left (after the SIGKILL, or while only leftovers remain).</summary>
    public void OnSweepDue()
    {
        _loop.AssertOnLoop();
        if (Phase == ShutdownPhase.Killing)
        {
            TransitionTo(ShutdownPhase.Sweeping);
        }

        _instances.ReapOrphans();
        CheckComplete();
    }

    /// <summary>Ends the shutdown if nothing is left, or when the sweep limit has passed; otherwise looks again shortly when only leftovers can remain.</summary>
    public void CheckComplete()
    {
        _loop.AssertOnLoop();
        if (Phase is ShutdownPhase.Running or ShutdownPhase.Done)
        {
            return;
        }

        var orphans = _instances.ReapOrphans();
        var done = _instances.LiveCount == 0 && !_instances.HasOrphanGroups && orphans == 0;
        if (!done && _time.GetUtcNow() < _deadline + SweepLimit)
        {
            if (Phase >= ShutdownPhase.Killing || _instances.LiveCount == 0)
            {
                // Only leftovers re-parented to us or dying groups remain: look again shortly.
                _timers.After(SweepInterval, new SupervisorEvent.ShutdownSweep());
            }

            return;
        }

        if (!done)
        {
            _log.LogError("shutdown: {Instances} instances and {Orphans} other descendants remain after SIGKILL; giving up waiting",
                _instances.LiveCount, orphans);
        }

        TransitionTo(ShutdownPhase.Done);
        _onDone();
        _done!.TrySetResult();
    }

    /// <summary>The second phase: SIGTERM to every app's group, SIGKILL at the deadline.</summary>
    private void StopApps()
    {
        TransitionTo(ShutdownPhase.StoppingApps);
        foreach (var instance in _instances.Live.ToList())
        {
            _instances.Stop(instance, _grace, "PM shutting down", ReasonKind.Shutdown);
        }

        _deadline = _time.GetUtcNow() + _grace;
        _timers.After(_grace, new SupervisorEvent.ShutdownDeadline());
    }

    /// <summary>The one place the phase changes.</summary>
    private void TransitionTo(ShutdownPhase next)
    {
        Debug.Assert(IsTransition(Phase, next), $"shutdown: {Phase} -> {next} is not a transition");
        Phase = next;
    }

    private static bool IsTransition(ShutdownPhase from, ShutdownPhase to) => (from, to) switch
    {
        (ShutdownPhase.Running, ShutdownPhase.StoppingWebProcesses or ShutdownPhase.StoppingApps) => true,
        (ShutdownPhase.StoppingWebProcesses, ShutdownPhase.StoppingApps) => true,
        (ShutdownPhase.StoppingApps, ShutdownPhase.Killing) => true,
        (ShutdownPhase.Killing, ShutdownPhase.Sweeping) => true,
        (ShutdownPhase.StoppingWebProcesses or ShutdownPhase.StoppingApps or ShutdownPhase.Killing or ShutdownPhase.Sweeping, ShutdownPhase.Done) => true,
        _ => false,
    };

    private static bool IsWebProcess(Instance instance) => instance.App.Kind == "web";
}
