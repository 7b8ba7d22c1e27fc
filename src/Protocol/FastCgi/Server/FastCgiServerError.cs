namespace Pm.Protocol.FastCgi;

/// <summary>Where a failure reported through <see cref="FastCgiServerOptions.OnError"/> happened.</summary>
public enum FastCgiServerErrorSource
{
    /// <summary>Accepting a connection failed.</summary>
    Accept,

    /// <summary>A connection broke: protocol violation by the peer, or a socket error.</summary>
    Connection,

    /// <summary>The request handler threw.</summary>
    Handler,
}

/// <summary>A failure of the server, with where it happened and which request it concerned (-1 for none).</summary>
public sealed record FastCgiServerError(FastCgiServerErrorSource Source, Exception Exception, int RequestId = -1)
{
    public override string ToString() =>
        RequestId >= 0 ? $"{Source} error (request {RequestId}): {Exception.Message}" : $"{Source} error: {Exception.Message}";
}
