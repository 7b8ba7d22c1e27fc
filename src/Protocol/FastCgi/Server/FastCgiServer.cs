using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The application side of FastCGI: accepts connections on a listening socket and runs a
/// <see cref="FastCgiRequestHandler"/> for every request, concurrently across and (when multiplexing is on)
/// within connections.
/// <para>
/// Stop is a small state machine, Running → Stopping → Aborting, entered synchronously when the stopping token
/// fires. Stopping (graceful, like TERM): no more accepts, new requests refused with OVERLOADED, idle
/// connections closed, requests in flight left to finish. Aborting (like KILL), when
/// <see cref="FastCgiServerOptions.ShutdownTimeout"/> runs out first: the requests' <see cref="FastCgiServerRequest.Aborted"/>
/// fire and their connections close. A run returns once every handler has returned. An instance stops as a
/// whole and runs once.
/// </para>
/// </summary>
public sealed class FastCgiServer
{
    private const int Running = 0;
    private const int Stopping = 1;
    private const int Aborting = 2;

    private readonly ConcurrentDictionary<FastCgiServerConnection, Task> _connections = new();
    private int _activeRequests;
    private int _state;
    private ITimer? _shutdownTimer;

    public FastCgiServer(FastCgiRequestHandler handler, FastCgiServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= FastCgiServerOptions.Default;
        options.Validate();
        Handler = handler;
        Options = options;
    }

    public FastCgiServerOptions Options { get; }

    /// <summary>Requests being handled now, over all connections.</summary>
    public int ActiveRequestCount => Volatile.Read(ref _activeRequests);

    /// <summary>Connections being served now.</summary>
    public int ActiveConnectionCount => _connections.Count;

    /// <summary>Whether a stop has begun.</summary>
    public bool IsStopping => Volatile.Read(ref _state) != Running;

    internal FastCgiRequestHandler Handler { get; }

    /// <summary>
    /// Serves <paramref name="listener"/> until <paramref name="stoppingToken"/> fires, then stops gracefully.
    /// The listener stays open: its owner closes it.
    /// </summary>
    public static Task RunAsync(Socket listener, FastCgiRequestHandler handler, FastCgiServerOptions? options = null, CancellationToken stoppingToken = default) =>
        new FastCgiServer(handler, options).ServeAsync(listener, stoppingToken);

    /// <summary>Accepts and serves connections until <paramref name="stoppingToken"/> fires, then stops.</summary>
    public async Task ServeAsync(Socket listener, CancellationToken stoppingToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        using var connectionSlots = new SemaphoreSlim(Options.MaxConnections);
        using var stopRegistration = stoppingToken.UnsafeRegister(static state => ((FastCgiServer)state!).RequestStop(), this);
        try
        {
            while (!IsStopping)
            {
                await connectionSlots.WaitAsync(stoppingToken).ConfigureAwait(false);
                Socket socket;
                try
                {
                    socket = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (IsTransientAcceptError(e.SocketErrorCode))
                {
                    connectionSlots.Release();
                    Report(new FastCgiServerError(FastCgiServerErrorSource.Accept, e));

                    // Out of descriptors or a connection reset before accept: back off instead of spinning.
                    await Task.Delay(TimeSpan.FromMilliseconds(50), Options.TimeProvider, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    connectionSlots.Release();
                    throw;
                }

                if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    socket.NoDelay = true;
                }

                _ = Serve(socket, onClosed: () => connectionSlots.Release());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful stop requested.
        }
        catch (ObjectDisposedException)
        {
            // The listener was closed under us: treat it as a stop.
        }
        finally
        {
            RequestStop();
            await Task.WhenAll(_connections.Values).ConfigureAwait(false);
            _shutdownTimer?.Dispose();
        }
    }

    /// <summary>
    /// Serves one already accepted connection until the web server closes it, or until
    /// <paramref name="stoppingToken"/> fires (which stops this server as a whole). Takes ownership of
    /// <paramref name="connection"/>.
    /// </summary>
    public async Task ServeConnectionAsync(Socket connection, CancellationToken stoppingToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var served = Serve(connection, onClosed: null);
        using (stoppingToken.UnsafeRegister(static state => ((FastCgiServer)state!).RequestStop(), this))
        {
            await served.ConfigureAwait(false);
        }
    }

    internal bool TryAcquireRequest()
    {
        if (Interlocked.Increment(ref _activeRequests) <= Options.MaxRequests)
        {
            return true;
        }

        Interlocked.Decrement(ref _activeRequests);
        return false;
    }

    internal void ReleaseRequest() => Interlocked.Decrement(ref _activeRequests);

    internal void Report(FastCgiServerError error)
    {
        try
        {
            Options.OnError?.Invoke(error);
        }
        catch
        {
            // A failing error sink must not take the server down with it.
        }
    }

    private static bool IsTransientAcceptError(SocketError error) =>
        error is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted
            or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.TryAgain;

    private Task Serve(Socket socket, Action? onClosed)
    {
        var connection = new FastCgiServerConnection(this, Options, socket);
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = served.Task;

        // A stop that began while this connection was being registered must still reach it.
        var state = Volatile.Read(ref _state);
        if (state != Running)
        {
            connection.BeginStop();
        }

        if (state == Aborting)
        {
            connection.Abort();
        }

        _ = RunConnectionAsync(connection, served, onClosed);
        return served.Task;
    }

    private async Task RunConnectionAsync(FastCgiServerConnection connection, TaskCompletionSource served, Action? onClosed)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // RunAsync handles its own failures; anything here is a bug worth hearing about.
            Report(new FastCgiServerError(FastCgiServerErrorSource.Connection, e));
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            onClosed?.Invoke();
            served.TrySetResult();
        }
    }

    /// <summary>Running → Stopping, synchronously (it runs inside the token's Cancel), arming the abort timer.</summary>
    private void RequestStop()
    {
        if (Interlocked.CompareExchange(ref _state, Stopping, Running) != Running)
        {
            return;
        }

        foreach (var connection in _connections.Keys)
        {
            connection.BeginStop();
        }

        if (Options.ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            _shutdownTimer = Options.TimeProvider.CreateTimer(
                static state => ((FastCgiServer)state!).AbortAll(),
                this,
                Options.ShutdownTimeout,
                Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Stopping → Aborting: the shutdown timeout ran out.</summary>
    private void AbortAll()
    {
        Volatile.Write(ref _state, Aborting);
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }
    }
}
