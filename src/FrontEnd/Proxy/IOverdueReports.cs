namespace Pm.FrontEnd.Proxy;

/// <summary>
/// Tells the PM about a request past its limits, for apps whose instances the PM runs (static and dynamic; external
/// apps have no one to tell). The PM finds the instance holding the connection whose web-process end has that inode.
/// </summary>
internal interface IOverdueReports
{
    /// <summary>The request has run past -slow-log (once per request): the 'L' record.</summary>
    void OnSlow(TimeSpan elapsed, ulong appSocketInode);

    /// <summary>The request has run past -request-timeout: the 'X' record, which makes the PM kill the instance.</summary>
    void OnTimedOut(TimeSpan elapsed, ulong appSocketInode);
}
