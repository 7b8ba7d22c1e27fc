using System.Net;

namespace Pm.Protocol.FastCgi;

/// <summary>Connecting to the application failed (nothing listening, refused, socket missing). Maps to 503.</summary>
public sealed class FastCgiConnectException : FastCgiException
{
    public FastCgiConnectException(EndPoint endPoint, Exception innerException)
        : base($"cannot connect to FastCGI application at {endPoint}: {innerException.Message}", innerException)
    {
        EndPoint = endPoint;
    }

    public EndPoint EndPoint { get; }
}
