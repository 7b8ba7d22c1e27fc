using Pm.Shared;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The application sent nothing for <see cref="Timeout"/> while at least one request was waiting on it.
/// The connection is closed.
/// </summary>
public sealed class FastCgiIdleTimeoutException : FastCgiException
{
    public FastCgiIdleTimeoutException(TimeSpan timeout, bool responseStarted)
        : base($"FastCGI application sent nothing for {DurationFormat.Seconds(timeout)}")
    {
        Timeout = timeout;
        ResponseStarted = responseStarted;
    }

    public TimeSpan Timeout { get; }

    /// <summary>Whether any STDOUT byte of the request had been received before the timeout.</summary>
    public bool ResponseStarted { get; }
}
