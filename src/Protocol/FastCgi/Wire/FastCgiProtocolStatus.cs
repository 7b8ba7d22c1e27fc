namespace Pm.Protocol.FastCgi;

/// <summary>The protocol-level outcome carried by END_REQUEST (spec §5.5).</summary>
public enum FastCgiProtocolStatus : byte
{
    /// <summary>Normal end of the request.</summary>
    RequestComplete = 0,

    /// <summary>The application refused a second concurrent request on a connection it cannot multiplex.</summary>
    CantMultiplexConnection = 1,

    /// <summary>The application is out of some resource (connections, request slots).</summary>
    Overloaded = 2,

    /// <summary>The application does not play the role asked for in BEGIN_REQUEST.</summary>
    UnknownRole = 3,
}
