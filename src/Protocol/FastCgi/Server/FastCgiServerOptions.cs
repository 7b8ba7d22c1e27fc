namespace Pm.Protocol.FastCgi;

/// <summary>Settings of a <see cref="FastCgiServer"/>. The first three are what GET_VALUES reports.</summary>
public sealed record FastCgiServerOptions
{
    public static FastCgiServerOptions Default { get; } = new();

    /// <summary>FCGI_MAX_CONNS: connections served at once. At the limit the server stops accepting (the backlog holds the rest).</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>FCGI_MAX_REQS: requests handled at once over all connections. Beyond it a request gets END_REQUEST OVERLOADED.</summary>
    public int MaxRequests { get; init; } = 1024;

    /// <summary>FCGI_MPXS_CONNS: whether one connection may carry several requests at once. If not, a second one gets CANT_MPX_CONN.</summary>
    public bool MultiplexConnections { get; init; } = true;

    /// <summary>Requests active at once on one multiplexed connection. Beyond it a request gets OVERLOADED.</summary>
    public int MaxRequestsPerConnection { get; init; } = 100;

    /// <summary>Roles the handler plays. A request for another role gets END_REQUEST UNKNOWN_ROLE.</summary>
    public IReadOnlySet<FastCgiRole> Roles { get; init; } = new HashSet<FastCgiRole> { FastCgiRole.Responder };

    public FastCgiLimits Limits { get; init; } = FastCgiLimits.Default;

    /// <summary>
    /// How long a graceful stop waits for requests in flight. When it runs out, their
    /// <see cref="FastCgiServerRequest.Aborted"/> tokens are cancelled and connections closed. Infinite by default.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Clock for <see cref="ShutdownTimeout"/> and accept-error back-off.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Told about failures that end a connection or a request: accept errors, protocol violations by a peer,
    /// socket errors, exceptions thrown by the handler. Called on arbitrary threads; must not throw.
    /// </summary>
    public Action<FastCgiServerError>? OnError { get; init; }

    /// <summary>
    /// Whether a request's handler starts on the connection's read loop, once the batch of records that completed its
    /// PARAMS has been taken in (its STDIN so far is then readable), instead of on the thread pool. Saves a thread hop
    /// per request for handlers that reach their first real wait at once (a gateway passing the request on); the
    /// connection reads nothing more until the handler first waits, so a handler that computes must not use it.
    /// </summary>
    public bool StartHandlersInline { get; init; }

    /// <summary>Size of the buffers a connection receives into.</summary>
    public int ReceiveBufferSize { get; init; } = 32 * 1024;

    internal void Validate()
    {
        Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1, nameof(MaxRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestsPerConnection, 1, nameof(MaxRequestsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveBufferSize, 4096, nameof(ReceiveBufferSize));
        ArgumentNullException.ThrowIfNull(Roles);
        if (ShutdownTimeout < TimeSpan.Zero && ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "must be positive, zero or infinite");
        }
    }
}
