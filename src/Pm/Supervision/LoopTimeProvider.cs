namespace Pm.Supervision;

/// <summary>
/// Real time whose timers call back on the supervisor loop: each firing is posted as a
/// <see cref="SupervisorEvent.TimerDue"/>, so a component written against a plain <see cref="TimeProvider"/> (the
/// scaling engine, which the simulator runs on virtual time) needs no lock. One-shot timers only; disposing one
/// that already fired may still let its posted callback run, which callers must tolerate.
/// </summary>
public sealed class LoopTimeProvider(TimeProvider inner, EventTimers timers) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
        {
            throw new NotSupportedException("timers on the supervisor loop are one-shot");
        }

        return timers.After(dueTime, new SupervisorEvent.TimerDue(callback, state));
    }
}
