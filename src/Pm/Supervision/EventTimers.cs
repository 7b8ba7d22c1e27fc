using System.Collections.Concurrent;

namespace Pm.Supervision;

/// <summary>
/// One-shot timers that post an event when due. Each is held here until it fires or is cancelled, so none can
/// be collected before it fires (a timer nobody references may never run), and all can be cancelled at shutdown.
/// </summary>
public sealed class EventTimers(TimeProvider time, Action<SupervisorEvent> post) : IDisposable
{
    private readonly ConcurrentDictionary<ITimer, byte> _pending = new();

    /// <summary>Posts <paramref name="e"/> after <paramref name="due"/>; dispose the result to cancel.</summary>
    public ITimer After(TimeSpan due, SupervisorEvent e)
    {
        var holder = new Holder();
        var timer = time.CreateTimer(state =>
        {
            if (holder.Timer is { } t && _pending.TryRemove(t, out _))
            {
                post(e);
                t.Dispose();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        holder.Timer = timer;
        _pending[timer] = 0;
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        return new Cancellation(this, timer);
    }

    public void Dispose()
    {
        foreach (var t in _pending.Keys)
        {
            t.Dispose();
        }

        _pending.Clear();
    }

    private sealed class Holder
    {
        public ITimer? Timer { get; set; }
    }

    /// <summary>Cancels the timer (if it has not fired) when disposed.</summary>
    private sealed class Cancellation(EventTimers owner, ITimer timer) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(dueTime, period);

        public void Dispose()
        {
            if (owner._pending.TryRemove(timer, out _))
            {
                timer.Dispose();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
