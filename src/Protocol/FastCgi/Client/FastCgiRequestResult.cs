namespace Pm.Protocol.FastCgi;

/// <summary>What END_REQUEST said about a finished request.</summary>
public readonly record struct FastCgiRequestResult(int AppStatus, FastCgiProtocolStatus ProtocolStatus)
{
    /// <summary>The application handled the request (whatever its app status); the other statuses are refusals.</summary>
    public bool IsComplete => ProtocolStatus == FastCgiProtocolStatus.RequestComplete;
}
