using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The application side of FastCGI: accepts connections on a listening socket and runs a
/// <see cref="FastCgiRequestHandler"/> for every request, concurrently across and (when multiplexing is on)
/// within connections.
/// <para>
/// Stop is graceful and has two stages, like a process's TERM and KILL: when the stopping token fires the
/// server stops accepting, refuses new requests with OVERLOADED, closes idle connections and waits for the
/// requests in flight; if <see cref="FastCgiServerOptions.ShutdownTimeout"/> runs out first, it aborts them
/// (their <see cref="FastCgiServerRequest.Aborted"/> fires) and closes their connections. The run returns when
/// every handler has returned.
/// </para>
/// </summary>
public sealed class FastCgiServer
{
    private readonly ConcurrentDictionary<FastCgiServerConnection, Task> _connections = new();
    private int _activeRequests;

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

    internal FastCgiRequestHandler Handler { get; }

    /// <summary>
    /// Serves <paramref name="listener"/> until <paramref name="stoppingToken"/> fires, then stops gracefully.
    /// The listener stays open: its owner closes it.
    /// </summary>
    public static Task RunAsync(Socket listener, FastCgiRequestHandler handler, FastCgiServerOptions? options = null, CancellationToken stoppingToken = default) =>
        new FastCgiServer(handler, options).ServeAsync(listener, stoppingToken);

    /// <summary>Accepts and serves connections until <paramref name="stoppingToken"/> fires, then stops gracefully.</summary>
    public async Task ServeAsync(Socket listener, CancellationToken stoppingToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        using var connectionSlots = new SemaphoreSlim(Options.MaxConnections);
        try
        {
            while (true)
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
            await StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves one already accepted connection until the web server closes it or <paramref name="stoppingToken"/>
    /// fires (then stops it gracefully). Takes ownership of <paramref name="connection"/>.
    /// </summary>
    public async Task ServeConnectionAsync(Socket connection, CancellationToken stoppingToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (served, task) = Serve(connection, onClosed: null);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (stoppingToken.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), stopped))
        {
            await Task.WhenAny(task, stopped.Task).ConfigureAwait(false);
        }

        if (!task.IsCompleted)
        {
            await StopAsync([served], task).ConfigureAwait(false);
        }

        await task.ConfigureAwait(false);
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

    private (FastCgiServerConnection Connection, Task Served) Serve(Socket socket, Action? onClosed)
    {
        var connection = new FastCgiServerConnection(this, Options, socket);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = gate.Task;
        _ = RunConnectionAsync(connection, gate, onClosed);
        return (connection, gate.Task);
    }

    private async Task RunConnectionAsync(FastCgiServerConnection connection, TaskCompletionSource gate, Action? onClosed)
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
            gate.TrySetResult();
        }
    }

    private Task StopAsync() => StopAsync([.. _connections.Keys], Task.WhenAll(_connections.Values));

    private async Task StopAsync(IReadOnlyList<FastCgiServerConnection> connections, Task served)
    {
        foreach (var connection in connections)
        {
            connection.BeginStop();
        }

        if (Options.ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            using var timeout = new CancellationTokenSource();
            var expiry = Task.Delay(Options.ShutdownTimeout, Options.TimeProvider, timeout.Token);
            if (await Task.WhenAny(served, expiry).ConfigureAwait(false) != served)
            {
                foreach (var connection in connections)
                {
                    connection.Abort();
                }
            }

            await timeout.CancelAsync().ConfigureAwait(false);
        }

        await served.ConfigureAwait(false);
    }
}
