namespace Pm.Protocol.FastCgi;

/// <summary>What an <see cref="IdleWatchdog"/> asks of the connection it watches.</summary>
internal interface IIdleWatched
{
    /// <summary>Whether something waits on the peer now (a response, an answer to a management record).</summary>
    bool IsWaitingOnPeer { get; }

    /// <summary>The peer was silent for the whole timeout while something waited on it; called once.</summary>
    void OnIdleTimeout();
}
