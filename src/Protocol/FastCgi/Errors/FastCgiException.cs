namespace Pm.Protocol.FastCgi;

/// <summary>
/// Base of every error this library raises about a FastCGI peer or connection. Callers that map failures to
/// HTTP statuses catch the concrete types: <see cref="FastCgiConnectException"/> (no connection, 503),
/// <see cref="FastCgiConnectionClosedException"/> (peer went away; retry if the response had not started),
/// <see cref="FastCgiProtocolException"/> (peer is broken, 502), <see cref="FastCgiIdleTimeoutException"/> (peer silent).
/// </summary>
public abstract class FastCgiException : IOException
{
    protected FastCgiException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
