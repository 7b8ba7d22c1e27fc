using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// What a request to a dynamic app adds to the proxy's work: starting the app when its socket is missing, and
/// telling the PM about waits and completions. Static and external apps have none.
/// </summary>
internal interface IRequestLifecycle : IOverdueReports
{
    /// <summary>
    /// The app's socket is missing or refuses connections: ask the PM to start it and wait for the socket to appear.
    /// Returns false when it did not within the request's start deadline.
    /// </summary>
    Task<bool> WaitForStartAsync(FastCgiConnectException unreachable, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the app's socket file is absent, so a connect would fail: checked first, because a failed connect
    /// costs more than a cold start should (socket, connect, and an exception through the async frames: about
    /// 1-1.5 ms per cold request here, against a stat of microseconds). An app known to answer is not looked for:
    /// false without a stat, and a connect that fails then is taken as the app gone.
    /// </summary>
    bool AppSocketMissing();

    /// <summary>How long after its arrival the request may wait for an instance to take it: -appConnTimeout, or -idle-timeout when that is 0.</summary>
    TimeSpan StartLimit { get; }

    /// <summary>The connection was reset before any answer (the PM released an idle app's socket): ask for a start again.</summary>
    void OnResetBeforeAnswer();

    /// <summary>The first byte of the answer arrived.</summary>
    void OnFirstByte();
}
