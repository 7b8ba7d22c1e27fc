namespace Pm.Protocol.FastCgi;

/// <summary>Settings of one client connection.</summary>
public sealed record FastCgiClientOptions
{
    public static FastCgiClientOptions Default { get; } = new();

    /// <summary>
    /// Sets FCGI_KEEP_CONN on every request, so the application keeps the connection open after END_REQUEST and
    /// it can be reused. Without it the application closes the connection after one request.
    /// </summary>
    public bool KeepConnection { get; init; } = true;

    /// <summary>
    /// Requests that may be in flight at once (request ids 1..N). Above 1 only for applications that answer
    /// FCGI_MPXS_CONNS=1; others answer a second request with END_REQUEST CANT_MPX_CONN, or misbehave.
    /// </summary>
    public int MaxConcurrentRequests { get; init; } = 1;

    /// <summary>
    /// Fails the connection with <see cref="FastCgiIdleTimeoutException"/> when the application sends nothing
    /// for this long while a request (or GET_VALUES) waits on it. Sending a request body counts as activity, and
    /// time spent waiting for the caller to read a response does not count. Infinite by default.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Called once, on a timer thread, when <see cref="IdleTimeout"/> fires and before the connection is closed: the
    /// application's end is still connected then, so a front end can find out which process it is for its log.
    /// Must not throw; should not block for long.
    /// </summary>
    public Action<FastCgiClientConnection>? OnIdleTimeout { get; init; }

    /// <summary>Clock for <see cref="IdleTimeout"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public FastCgiLimits Limits { get; init; } = FastCgiLimits.Default;

    /// <summary>Size of the buffers the connection receives into.</summary>
    public int ReceiveBufferSize { get; init; } = 32 * 1024;

    internal void Validate()
    {
        Limits.Validate();
        if (MaxConcurrentRequests is < 1 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "must be 1..65535");
        }

        if (IdleTimeout <= TimeSpan.Zero && IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be positive or infinite");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveBufferSize, 4096, nameof(ReceiveBufferSize));
    }
}
