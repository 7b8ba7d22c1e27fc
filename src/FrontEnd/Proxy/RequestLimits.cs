using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using System.Runtime.CompilerServices;
using Pm.Posix;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// -request-timeout and -slow-log for one request, created only when the app has either (off costs a null check).
/// <para>
/// One timer per request rather than a shared wheel: TimeProvider's timers are already a shared queue in the
/// runtime (one native timer for all), a request's timer is created once and fires at most twice, and its cost
/// (an allocation and a queue insert, under a microsecond) is far below a FastCGI round trip; a wheel scanning the
/// in-flight requests every 100 ms would cost even when nothing is late and need its own registry of requests.
/// The timeout is a <see cref="CancellationTokenSource"/> on the app's clock, linked to the client's abort, so
/// the proxy's reads and sends stop where they are and the FastCGI request is aborted (FCGI_ABORT_REQUEST) by
/// the token it was begun with.
/// </para>
/// </summary>
internal sealed class RequestLimits : IDisposable
{
    private readonly AppBackend _app;
    private readonly ICurrentAttempt _exchange;
    private readonly IOverdueReports? _lifecycle;
    private readonly WebLog _log;
    private readonly string _request;
    private readonly long _arrival;
    private readonly CancellationTokenSource? _timeout;
    private readonly CancellationTokenRegistration _clientAbort;
    private ITimer? _slow;

    public RequestLimits(AppBackend app, ICurrentAttempt exchange, IRequestLifecycle? lifecycle, WebLog log, string request, CancellationToken clientAborted)
    {
        _app = app;
        _exchange = exchange;
        _lifecycle = (IOverdueReports?)lifecycle ?? app.Overdue;
        _log = log;
        _request = request;
        var time = app.Time;
        _arrival = time.GetTimestamp();
        if (app.Settings.RequestTimeout is { } timeout)
        {
            _timeout = new CancellationTokenSource(timeout, time);
            _clientAbort = clientAborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _timeout);
        }

        if (app.Settings.SlowLog is { } slow)
        {
            _slow = time.CreateTimer(static s => ((RequestLimits)s!).OnSlow(), this, slow, Timeout.InfiniteTimeSpan);
        }

        Token = _timeout?.Token ?? clientAborted;
    }

    /// <summary>Cancelled when the client leaves or the request runs past -request-timeout.</summary>
    public CancellationToken Token { get; }

    public TimeSpan Elapsed => _app.Time.GetElapsedTime(_arrival);

    /// <summary>Whether <see cref="Token"/> was cancelled by -request-timeout (not by the client).</summary>
    public bool TimedOut(CancellationToken clientAborted) =>
        _timeout is { IsCancellationRequested: true } && !clientAborted.IsCancellationRequested;

    /// <summary>The inode of this process's socket to the app (what the PM looks up in the kernel's tables); 0 if unknown.</summary>
    public static ulong InodeOf(AppConnection? connection)
    {
        if (connection is null)
        {
            return 0;
        }

        try
        {
            return UnixSocketTable.InodeOf((int)connection.Socket.SafeHandle.DangerousGetHandle());
        }
        catch (Exception e) when (e is PosixException or ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>After an abort, how long a multiplexing app has to end the request before its instance is reported.</summary>
    public static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The 504 side: the log line and the 'X' record (dynamic apps). On a multiplexing app's shared connection the
    /// record waits <see cref="AbortGrace"/> for the app to end the aborted request: one that does is alive and
    /// keeps serving the connection's other requests.
    /// </summary>
    public void ReportTimedOut(AppConnection? connection, Task? ended, bool cut)
    {
        var elapsed = Elapsed;
        var inode = InodeOf(connection);
        var who = connection?.Who ?? _app.Name;
        var shared = connection is { Shared: true } && ended is not null;
        _log.Write($"{who}: {(cut ? "answer cut" : "504")} for {_request} after {elapsed.TotalSeconds:0.0}s (-request-timeout); " +
            (shared ? $"the request was aborted; the PM is asked to kill the instance if it does not end it within {AbortGrace.TotalSeconds:0}s" : "the PM is asked to kill the instance"));
        if (inode == 0 || _lifecycle is null)
        {
            return;
        }

        if (!shared)
        {
            KeepOpenForThePm(connection!);
            _lifecycle.OnTimedOut(elapsed, inode);
            return;
        }

        _ = ReportUnlessEndedAsync(ended!, elapsed, inode, who);
    }

    private async Task ReportUnlessEndedAsync(Task ended, TimeSpan elapsed, ulong inode, string who)
    {
        try
        {
            await ended.WaitAsync(AbortGrace, _app.Time).ConfigureAwait(false);
            _log.Write($"{who}: ended {_request} after its abort; the instance serves on");
        }
        catch (TimeoutException)
        {
            _log.Write($"{who}: did not end {_request} within {AbortGrace.TotalSeconds:0}s of its abort; the PM is asked to kill the instance");
            _lifecycle!.OnTimedOut(elapsed + AbortGrace, inode);
        }
    }

    /// <summary>How long the web process's end of a timed-out connection stays open after the 'X' record.</summary>
    public static readonly TimeSpan KeptOpenForThePm = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The PM finds the instance by the app-side socket whose peer is ours; once our end is closed the kernel reports
    /// that peer as inode 0. So the socket is kept open (a duplicate descriptor) a while after the connection is given
    /// back, until the PM has killed the instance (its end then closes) or <see cref="KeptOpenForThePm"/> is over.
    /// </summary>
    private void KeepOpenForThePm(AppConnection connection)
    {
        int copy;
        try
        {
            copy = FileDescriptor.Duplicate((int)connection.Socket.SafeHandle.DangerousGetHandle());
        }
        catch (Exception e) when (e is PosixException or ObjectDisposedException)
        {
            return;
        }

        // Held until it fires: an unreferenced timer may be collected before it does.
        var holder = new StrongBox<ITimer?>();
        lock (Kept)
        {
            Kept.Add(holder);
        }

        holder.Value = _app.Time.CreateTimer(static state =>
        {
            var (fd, box) = ((int, StrongBox<ITimer?>))state!;
            FileDescriptor.Close(fd);
            lock (Kept)
            {
                Kept.Remove(box);
            }

            box.Value?.Dispose();
        }, (copy, holder), KeptOpenForThePm, Timeout.InfiniteTimeSpan);
    }

    private static readonly HashSet<StrongBox<ITimer?>> Kept = [];

    public void Dispose()
    {
        Interlocked.Exchange(ref _slow, null)?.Dispose();
        _clientAbort.Dispose();
        _timeout?.Dispose();
    }

    private void OnSlow()
    {
        if (Interlocked.Exchange(ref _slow, null) is not { } timer)
        {
            return;
        }

        timer.Dispose();
        var connection = _exchange.Connection;
        var elapsed = Elapsed;
        var inode = InodeOf(connection);
        _log.Write($"{connection?.Who ?? _app.Name}: {_request} has run {elapsed.TotalSeconds:0.0}s (-slow-log)");
        if (inode != 0)
        {
            _lifecycle?.OnSlow(elapsed, inode);
        }
    }
}
