using Pm.FrontEnd.Proxy;
using Pm.Protocol.Queue;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// A static app's 'L' and 'X' records, named as the PM names the app (its path), written to the queue the dynamic
/// apps' records use. The writer is opened on the first report, so apps without limits never open the queue.
/// </summary>
internal sealed class StaticAppReports(string appPath, Lazy<QueueWriter> queue, TimeProvider time) : IOverdueReports
{
    private readonly uint _uid = Posix.Identity.EffectiveUserId;
    private readonly uint _gid = Posix.Identity.EffectiveGroupId;

    public void OnSlow(TimeSpan elapsed, ulong appSocketInode) =>
        queue.Value.Write(QueueRecord.SlowRequest(appPath, _uid, _gid, time.GetUtcNow(), elapsed, appSocketInode));

    public void OnTimedOut(TimeSpan elapsed, ulong appSocketInode) =>
        queue.Value.Write(QueueRecord.RequestTimedOut(appPath, _uid, _gid, time.GetUtcNow(), elapsed, appSocketInode));
}
