namespace Pm.Protocol.FastCgi;

/// <summary>
/// Fires once when the peer has been silent for the timeout while something waits on it. One timer per
/// connection, re-armed lazily: activity only stores a timestamp, and the timer, when it fires early, re-arms
/// itself for the time still missing. So the hot path pays one <see cref="TimeProvider.GetTimestamp"/> per read.
/// The watched connection answers for itself (<see cref="IIdleWatched"/>) rather than through delegates: a front
/// end makes a connection, and so a watchdog, per request.
/// </summary>
internal sealed class IdleWatchdog : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly IIdleWatched _watched;
    private readonly ITimer _timer;
    private long _lastActivity;
    private int _done;

    public IdleWatchdog(TimeProvider time, TimeSpan timeout, IIdleWatched watched)
    {
        _time = time;
        _timeout = timeout;
        _watched = watched;
        _lastActivity = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((IdleWatchdog)state!).Check(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Restarts the silence count: bytes arrived, were sent, or a wait on the peer began.</summary>
    public void MarkActivity() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public void Dispose()
    {
        Volatile.Write(ref _done, 1);
        _timer.Dispose();
    }

    private void Check()
    {
        if (Volatile.Read(ref _done) != 0)
        {
            return;
        }

        var silent = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (!_watched.IsWaitingOnPeer)
        {
            Rearm(_timeout);
        }
        else if (silent >= _timeout)
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                _watched.OnIdleTimeout();
            }
        }
        else
        {
            Rearm(_timeout - silent);
        }
    }

    private void Rearm(TimeSpan dueTime)
    {
        try
        {
            _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while this callback ran: the connection is closing anyway.
        }
    }
}
