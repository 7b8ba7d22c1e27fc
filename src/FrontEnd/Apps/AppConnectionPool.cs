using System.Globalization;
using Pm.FrontEnd.Logging;
using Pm.Protocol.FastCgi;
using Pm.Shared;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// Connections to one app, and the rule for reusing them.
/// <para>
/// Constraint: a libfcgi or php-cgi instance serves ONE connection at a time, and all instances share one
/// listening socket. A kept-alive idle connection therefore pins an instance, and requests queued in the backlog
/// behind it can starve. So connections are reused only for apps that answer FCGI_MPXS_CONNS=1 to FCGI_GET_VALUES
/// (such an app serves many connections and many requests on each): those share at most
/// <see cref="MaxSharedConnections"/> kept connections with at most <see cref="MaxRequestsPerConnection"/> requests
/// on each, both lowered to the app's FCGI_MAX_CONNS and FCGI_MAX_REQS; a request beyond that waits for a free slot.
/// Every other app gets one connection per request, without FCGI_KEEP_CONN (nginx's default too).
/// </para>
/// <para>
/// The question is asked once per app and web process, on a connection of its own (php-cgi closes a connection
/// after answering a management record), in the background once the first request is done: until the answer comes,
/// requests use one connection each. An app that cannot be reached is asked again later; one that does not answer
/// in time is taken not to multiplex.
/// </para>
/// <para>
/// A kept connection left without a request for <see cref="KeptIdleClose"/> is closed: an instance holding a
/// connection counts as busy to the PM (it cannot tell a kept idle connection from a request), so an idle app must
/// let go of its instances for its policy to see them idle and retire them.
/// </para>
/// </summary>
public sealed class AppConnectionPool : IAsyncDisposable
{
    public const int MaxSharedConnections = 4;
    public const int MaxRequestsPerConnection = 32;

    /// <summary>How long a kept connection may stay without a request before the pool closes it.</summary>
    public static readonly TimeSpan KeptIdleClose = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ProbeRetry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProbeTimeoutCap = TimeSpan.FromSeconds(5);

    private readonly AppBackend _app;
    private readonly TimeProvider _time;
    private readonly WebLog _log;
    private readonly FastCgiClientOptions _single;
    private readonly Lock _sync = new();
    private readonly List<AppConnection> _shared = [];
    private FastCgiClientOptions? _multiplexed;
    private SemaphoreSlim? _capacity;
    private int _perConnection;
    private int _maxConnections;
    private int _connecting;
    private volatile ConnectionReuse _reuse;
    private long _probeNotBefore;
    private int _probing;
    private bool _disposed;
    private ITimer? _sweep;

    internal AppConnectionPool(AppBackend app, TimeProvider time, WebLog log)
    {
        _app = app;
        _time = time;
        _log = log;
        _single = new FastCgiClientOptions
        {
            KeepConnection = false,
            MaxConcurrentRequests = 1,
            IdleTimeout = app.Settings.IdleTimeout,
            TimeProvider = time,
            OnIdleTimeout = static connection => (connection.State as AppConnection)?.ResolveWho(),
        };
        _probeNotBefore = time.GetTimestamp();
    }

    /// <summary>The latest FCGI_GET_VALUES question, for tests to await; it never faults.</summary>
    internal Task Probe { get; private set; } = Task.CompletedTask;

    /// <summary>What the app's GET_VALUES answer decided.</summary>
    public ConnectionReuse Reuse => _reuse;

    /// <summary>Kept connections open now (multiplexing apps only).</summary>
    public int SharedConnectionCount
    {
        get
        {
            lock (_sync)
            {
                return _shared.Count;
            }
        }
    }

    /// <summary>
    /// A connection with room for one request: a new one, or a kept one for a multiplexing app. Give it back with
    /// <see cref="Return"/> once the request is disposed.
    /// </summary>
    /// <exception cref="FastCgiConnectException">The app cannot be reached (503).</exception>
    public async ValueTask<AppConnection> RentAsync(CancellationToken cancellationToken)
    {
        if (_reuse == ConnectionReuse.Multiplexed)
        {
            return await RentSharedAsync(cancellationToken).ConfigureAwait(false);
        }

        var socket = await AppConnector.ConnectAsync(_app.EndPoint, _app.Settings.AppConnTimeout, _time, cancellationToken).ConfigureAwait(false);
        var connection = new AppConnection(_app, socket, FastCgiClientConnection.Create(socket, _single, _app.EndPoint), shared: false);
        connection.Placed = 1;
        return connection;
    }

    /// <summary>
    /// Takes back a connection after its request was disposed (<paramref name="request"/> null when none was begun):
    /// a connection of its own is closed; a kept one gets its slot back once the request id is free again.
    /// </summary>
    public void Return(AppConnection connection, FastCgiClientRequest? request)
    {
        if (!connection.Shared)
        {
            connection.Client.Close();
            if (_reuse == ConnectionReuse.Unknown)
            {
                // Asked once the first request is done, not beside it: its connection would wait in the accept
                // queue with the request's, and a dynamic app's policy would start two instances for one request.
                StartProbe();
            }

            return;
        }

        if (request is null || request.Released.IsCompleted)
        {
            ReleaseSlot(connection);
        }
        else
        {
            // Aborted: the id stays taken until the app acknowledges with END_REQUEST.
            _ = ReleaseWhenFreeAsync(connection, request.Released);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<AppConnection> shared;
        lock (_sync)
        {
            _disposed = true;
            shared = [.. _shared];
            _shared.Clear();
            _sweep?.Dispose();
            _sweep = null;
        }

        foreach (var connection in shared)
        {
            await connection.Client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes kept connections idle for <see cref="KeptIdleClose"/>; stops itself when none is left.</summary>
    private void CloseIdle()
    {
        List<AppConnection> idle = [];
        lock (_sync)
        {
            for (var i = _shared.Count - 1; i >= 0; i--)
            {
                var candidate = _shared[i];
                if (candidate.Reserved == 0 && _time.GetElapsedTime(candidate.IdleSince) >= KeptIdleClose)
                {
                    _shared.RemoveAt(i);
                    idle.Add(candidate);
                }
            }

            if (_shared.Count == 0)
            {
                _sweep?.Dispose();
                _sweep = null;
            }
        }

        foreach (var connection in idle)
        {
            _ = connection.Client.DisposeAsync().AsTask();
        }
    }

    private async Task ReleaseWhenFreeAsync(AppConnection connection, Task released)
    {
        await released.ConfigureAwait(false);
        ReleaseSlot(connection);
    }

    private void ReleaseSlot(AppConnection connection)
    {
        bool close;
        lock (_sync)
        {
            connection.Reserved--;
            close = connection.Reserved == 0 && (!connection.Client.IsConnected || !_shared.Contains(connection));
            if (close)
            {
                _shared.Remove(connection);
            }
            else if (connection.Reserved == 0)
            {
                connection.IdleSince = _time.GetTimestamp();
                if (!_disposed)
                {
                    _sweep ??= _time.CreateTimer(static state => ((AppConnectionPool)state!).CloseIdle(), this, KeptIdleClose, KeptIdleClose);
                }
            }
        }

        _capacity!.Release();
        if (close)
        {
            _ = connection.Client.DisposeAsync().AsTask();
        }
    }

    private async ValueTask<AppConnection> RentSharedAsync(CancellationToken cancellationToken)
    {
        var capacity = _capacity!;
        if (!capacity.Wait(0))
        {
            using var timeout = new CancellationTokenSource(_app.Settings.IdleTimeout, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                await capacity.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Every slot stayed taken for a whole idle timeout: the app is saturated or stuck (503, not a wait forever).
                throw new FastCgiConnectException(_app.EndPoint, new TimeoutException(
                    $"all {_maxConnections * _perConnection} request slots of its kept connections stayed busy for {DurationFormat.Seconds(_app.Settings.IdleTimeout)}"));
            }
        }

        try
        {
            AppConnection? best = null;
            lock (_sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                for (var i = _shared.Count - 1; i >= 0; i--)
                {
                    var candidate = _shared[i];
                    if (!candidate.Client.IsConnected)
                    {
                        // Closed by the app (restarted, or it closes idle connections): the last request to leave closes it.
                        _shared.RemoveAt(i);
                        if (candidate.Reserved == 0)
                        {
                            _ = candidate.Client.DisposeAsync().AsTask();
                        }

                        continue;
                    }

                    if (candidate.Reserved < _perConnection && (best is null || candidate.Reserved < best.Reserved))
                    {
                        best = candidate;
                    }
                }

                // A busy connection is shared only when no other may be opened: more connections spread the load
                // over the app's instances.
                if (best is not null && (best.Reserved == 0 || _shared.Count + _connecting >= _maxConnections))
                {
                    best.Reserved++;
                    best.Placed++;
                    return best;
                }

                if (_shared.Count + _connecting >= _maxConnections)
                {
                    throw new InvalidOperationException("connection pool accounting is off: a slot was free but no connection has room");
                }

                _connecting++;
            }

            AppConnection opened;
            try
            {
                var socket = await AppConnector.ConnectAsync(_app.EndPoint, _app.Settings.AppConnTimeout, _time, cancellationToken).ConfigureAwait(false);
                opened = new AppConnection(_app, socket, FastCgiClientConnection.Create(socket, _multiplexed!, _app.EndPoint), shared: true);
            }
            finally
            {
                lock (_sync)
                {
                    _connecting--;
                }
            }

            lock (_sync)
            {
                opened.Reserved = 1;
                opened.Placed = 1;
                if (!_disposed)
                {
                    _shared.Add(opened);
                }
            }

            return opened;
        }
        catch
        {
            capacity.Release();
            throw;
        }
    }

    private void StartProbe()
    {
        if (_time.GetTimestamp() < Volatile.Read(ref _probeNotBefore) || Interlocked.CompareExchange(ref _probing, 1, 0) != 0)
        {
            return;
        }

        Probe = ProbeAsync();
    }

    /// <summary>Asks FCGI_GET_VALUES on a connection of its own and sets <see cref="Reuse"/> from the answer.</summary>
    private async Task ProbeAsync()
    {
        try
        {
            var timeout = _app.Settings.IdleTimeout < ProbeTimeoutCap ? _app.Settings.IdleTimeout : ProbeTimeoutCap;
            using var deadline = new CancellationTokenSource(timeout, _time);
            System.Net.Sockets.Socket socket;
            try
            {
                socket = await AppConnector.ConnectAsync(_app.EndPoint, timeout, _time, deadline.Token, management: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FastCgiConnectException or OperationCanceledException)
            {
                // Not reachable now (a dynamic app not started yet, an instance restarting): ask again later.
                Volatile.Write(ref _probeNotBefore, _time.GetTimestamp() + (long)(ProbeRetry.TotalSeconds * _time.TimestampFrequency));
                return;
            }

            await using var client = FastCgiClientConnection.Create(socket, new FastCgiClientOptions { KeepConnection = false, TimeProvider = _time }, _app.EndPoint);
            FastCgiParams values;
            try
            {
                values = await client.GetValuesAsync(null, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FastCgiException or OperationCanceledException)
            {
                _log.Write($"app {_app.Name}: no answer to FCGI_GET_VALUES ({(e is OperationCanceledException ? $"nothing within {DurationFormat.Seconds(timeout)}" : e.Message)}): one connection per request");
                _reuse = ConnectionReuse.OnePerRequest;
                return;
            }

            var multiplexes = values.GetValue(FastCgiManagementVariables.MpxsConns) == "1";
            var maxConns = Limit(values.GetValue(FastCgiManagementVariables.MaxConns));
            var maxReqs = Limit(values.GetValue(FastCgiManagementVariables.MaxReqs));
            if (!multiplexes)
            {
                _reuse = ConnectionReuse.OnePerRequest;
                return;
            }

            _maxConnections = Math.Min(MaxSharedConnections, maxConns);
            _perConnection = Math.Max(1, Math.Min(MaxRequestsPerConnection, maxReqs / _maxConnections));
            _multiplexed = _single with { KeepConnection = true, MaxConcurrentRequests = _perConnection };
            _capacity = new SemaphoreSlim(_maxConnections * _perConnection);
            _log.Write(string.Create(CultureInfo.InvariantCulture,
                $"app {_app.Name}: FCGI_MPXS_CONNS=1 (FCGI_MAX_CONNS {Show(maxConns)}, FCGI_MAX_REQS {Show(maxReqs)}): requests share up to {_maxConnections} kept connection(s), {_perConnection} at a time on each"));

            // Published last: a renter that sees Multiplexed finds the options and the capacity set.
            _reuse = ConnectionReuse.Multiplexed;
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private static int Limit(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : int.MaxValue;

    private static string Show(int limit) => limit == int.MaxValue ? "not given" : limit.ToString(CultureInfo.InvariantCulture);
}
