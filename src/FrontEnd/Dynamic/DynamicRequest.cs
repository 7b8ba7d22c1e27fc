using Pm.FrontEnd.Proxy;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// One request to a dynamic app, as the PM hears of it: an S record when the app's socket is missing (shared with
/// concurrent requests), a T record every StartDelay while no byte of the answer has come, and at the end a C record
/// with the queue time (arrival to first byte) and the service time (first byte to end), sent in a batch with the
/// other requests' of the next few milliseconds (<see cref="CompletionBatch"/>). The wait for a start is
/// bounded by -appConnTimeout, or -idle-timeout when that is 0, from the request's arrival; then 503. So is the wait for
/// an instance to take the connection once the socket is there (<see cref="Proxy.AcceptDeadline"/>).
/// </summary>
internal sealed class DynamicRequest : IRequestLifecycle, IDisposable
{
    private readonly DynamicApps _apps;
    private readonly DynamicApp _app;
    private readonly TimeProvider _time;
    private readonly long _arrival;
    private readonly TimeSpan _startLimit;
    private ITimer? _moreNeeded;
    private long _firstByte;

    public DynamicRequest(DynamicApps apps, DynamicApp app)
    {
        _apps = apps;
        _app = app;
        _time = apps.Time;
        _arrival = _time.GetTimestamp();
        var settings = app.Backend.Settings;
        _startLimit = settings.AppConnTimeout > TimeSpan.Zero ? settings.AppConnTimeout : settings.IdleTimeout;
        _moreNeeded = _time.CreateTimer(static state => ((DynamicRequest)state!).SendMoreNeeded(), this, app.StartDelay, app.StartDelay);
    }

    public async Task<bool> WaitForStartAsync(FastCgiConnectException unreachable, CancellationToken cancellationToken)
    {
        _app.MarkUnreachable();
        var refused = unreachable.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused };
        var left = _startLimit - _time.GetElapsedTime(_arrival);
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await _app.Start(refused).WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public TimeSpan StartLimit => _startLimit;

    /// <summary>Looked for only while the app is not known to answer: the stat was a system call per request of a busy app.</summary>
    public bool AppSocketMissing() => !_app.Answering && !File.Exists(_app.SocketPath);

    public void OnResetBeforeAnswer() => _ = _app.Start(refused: false);

    public void OnFirstByte()
    {
        _firstByte = _time.GetTimestamp();
        StopMoreNeeded();
        _app.MarkAnswering();
    }

    public void OnSlow(TimeSpan elapsed, ulong appSocketInode) =>
        _apps.Send(QueueRecord.SlowRequest(_app.AppPath, _apps.Uid, _apps.Gid, _time.GetUtcNow(), elapsed, appSocketInode));

    public void OnTimedOut(TimeSpan elapsed, ulong appSocketInode) =>
        _apps.Send(QueueRecord.RequestTimedOut(_app.AppPath, _apps.Uid, _apps.Gid, _time.GetUtcNow(), elapsed, appSocketInode));

    /// <summary>The request is over: the C record, if the app answered at all.</summary>
    public void Dispose()
    {
        StopMoreNeeded();
        if (_firstByte != 0)
        {
            var end = _time.GetTimestamp();
            var queued = _time.GetElapsedTime(_arrival, _firstByte);
            var served = _time.GetElapsedTime(_firstByte, end);
            _apps.SendCompleted(QueueRecord.Complete(_app.AppPath, _apps.Uid, _apps.Gid, _time.GetUtcNow(), queued, served));
        }
    }

    private void SendMoreNeeded()
    {
        if (Volatile.Read(ref _moreNeeded) is not null)
        {
            _apps.Send(QueueRecord.MoreNeeded(_app.AppPath, _apps.Uid, _apps.Gid, _time.GetUtcNow()));
        }
    }

    private void StopMoreNeeded() => Interlocked.Exchange(ref _moreNeeded, null)?.Dispose();
}
