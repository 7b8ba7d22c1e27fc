namespace Pm.Protocol.FastCgi;

/// <summary>
/// The peer sent bytes that break FastCGI 1.0 or a configured limit. Only the connection that carried them is
/// closed; every request on it fails with this error.
/// </summary>
public sealed class FastCgiProtocolException : FastCgiException
{
    public FastCgiProtocolException(FastCgiErrorKind kind, string message, int requestId = -1)
        : base(requestId >= 0 ? $"FastCGI protocol error ({kind}, request {requestId}): {message}" : $"FastCGI protocol error ({kind}): {message}")
    {
        Kind = kind;
        RequestId = requestId;
    }

    /// <summary>What was wrong.</summary>
    public FastCgiErrorKind Kind { get; }

    /// <summary>The request id of the offending record, or -1 when the error is not about one record.</summary>
    public int RequestId { get; }
}
