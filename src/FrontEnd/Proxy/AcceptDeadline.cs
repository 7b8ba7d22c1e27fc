using Pm.FrontEnd.Apps;
using Pm.Posix;
using Pm.Shared;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// The start limit of a request on a Unix socket: -appConnTimeout (a dynamic app's: -idle-timeout when that is 0),
/// counted from the request's arrival.
/// <para>
/// connect() to a listening Unix socket succeeds as soon as the kernel queues the connection, whether or not an
/// instance ever takes it. An app that never starts waiting for work (its instances killed at -spawn-timeout one
/// after another), or whose every instance is frozen, would hold the request until -idle-timeout and answer it
/// with a 504 that blames an answer nobody was working on. So when the limit is up the kernel is asked whether
/// the connection still waits in the listener's accept queue (sock_diag lists, for each queued connection, the
/// socket that connected); if it does, the attempt is cancelled and the client gets a 503 with Retry-After: no
/// instance took the request, so trying again later is the right advice. A connection an instance took is left
/// to -idle-timeout and -request-timeout.
/// </para>
/// <para>
/// Armed only on a connection of the request's own (a multiplexing app's kept connection was taken long ago):
/// one timer per request; the table is read only when the limit is up and the request is still unanswered.
/// </para>
/// </summary>
internal sealed class AcceptDeadline : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly ITimer _timer;
    private readonly AppConnection _connection;
    private readonly IReadOnlySet<string> _listenerNames;
    private volatile bool _expired;

    private AcceptDeadline(AppConnection connection, IReadOnlySet<string> listenerNames, TimeSpan left, CancellationToken aborted)
    {
        _connection = connection;
        _listenerNames = listenerNames;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        _timer = connection.App.Time.CreateTimer(static state => ((AcceptDeadline)state!).Check(), this, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when the client leaves, the request's other limits cancel it, or no instance took it in time.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Whether the limit cancelled <see cref="Token"/> (the connection still waited to be accepted).</summary>
    public bool Expired => _expired;

    /// <summary>
    /// A deadline for <paramref name="connection"/>, <paramref name="left"/> from now; null where none applies (no
    /// limit, a TCP app, a kept shared connection). The socket is named (fstat) only if the limit comes, not per request.
    /// </summary>
    public static AcceptDeadline? Arm(AppConnection connection, TimeSpan limit, TimeSpan left, CancellationToken aborted) =>
        limit <= TimeSpan.Zero || connection.Shared || connection.App.ListenerNames is not { } names
            ? null
            : new AcceptDeadline(connection, names, left, aborted);

    /// <summary>The answer's text for the client.</summary>
    public const string Message = "the application did not take the request in time; try again in a few seconds";

    /// <summary>Why, for the log line: the limit and which setting gave it.</summary>
    public static string Why(AppBackend app, TimeSpan limit, bool dynamic) =>
        $"no instance took it within {DurationFormat.Seconds(limit)} of its arrival " +
        $"({(!dynamic || app.Settings.AppConnTimeout > TimeSpan.Zero ? "-appConnTimeout" : "-idle-timeout, as -appConnTimeout is 0")}); it waited in the app's accept queue";

    public void Dispose()
    {
        _timer.Dispose();
        _cancel.Dispose();
    }

    private void Check()
    {
        bool? waits;
        try
        {
            var connecting = UnixSocketTable.InodeOf((int)_connection.Socket.SafeHandle.DangerousGetHandle());
            waits = UnixSocketTable.WaitsForAccept(connecting, _listenerNames);
        }
        catch (Exception e) when (e is PosixException or ObjectDisposedException)
        {
            // The request ended as the limit came, or the table could not be read: unknown, so the request is left
            // to its other limits.
            return;
        }

        if (waits == true)
        {
            _expired = true;
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request ended as the limit came.
            }
        }
    }
}
