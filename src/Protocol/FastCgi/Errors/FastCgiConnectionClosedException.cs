namespace Pm.Protocol.FastCgi;

/// <summary>
/// The connection ended while a request was in flight: the application closed it, died, or a send failed.
/// When <see cref="ResponseStarted"/> is false no STDOUT byte of this request had arrived, so the caller may retry
/// the request on another connection (provided it can replay the body).
/// </summary>
public sealed class FastCgiConnectionClosedException : FastCgiException
{
    public FastCgiConnectionClosedException(string message, bool responseStarted, Exception? innerException = null)
        : base(message, innerException)
    {
        ResponseStarted = responseStarted;
    }

    /// <summary>Whether any STDOUT byte of the request had been received before the connection ended.</summary>
    public bool ResponseStarted { get; }
}
