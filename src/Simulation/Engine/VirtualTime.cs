namespace Pm.Simulation;

/// <summary>
/// The simulation's clock as a <see cref="TimeProvider"/>, so the engine that the PM runs on real time runs here
/// on virtual time: a timer is an event in the run's queue, and fires when the run's time reaches it, on the run's
/// own loop. Timestamps are virtual too (ticks since the trace's start).
/// </summary>
internal sealed class VirtualTime(DateTimeOffset start, Func<TimeSpan> now, Action<TimeSpan, VirtualTime.Timer, long> schedule) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => start + now();

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => now().Ticks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>A timer of the run: each Change schedules a new firing and makes earlier ones stale.</summary>
    internal sealed class Timer(VirtualTime owner, TimerCallback callback, object? state) : ITimer
    {
        private long _generation;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _generation++;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                owner.Schedule(this, dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
            }

            return true;
        }

        /// <summary>Runs the callback if <paramref name="generation"/> is still the timer's current firing.</summary>
        public void Fire(long generation)
        {
            if (generation != _generation)
            {
                return; // changed or disposed since
            }

            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                owner.Schedule(this, _period);
            }

            callback(state);
        }

        public long Generation => _generation;

        public void Dispose() => _generation++;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private void Schedule(Timer timer, TimeSpan due) => schedule(now() + due, timer, timer.Generation);
}
