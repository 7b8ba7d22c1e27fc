using Pm.Posix;
using Pm.Scoreboard;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// Which instance holds each request the web processes have in flight: a scoreboard slot names the web process and
/// its descriptor of the app connection; /proc/PID/fd gives that socket's inode, and the kernel's socket table the
/// app-side socket connected to it and the instance holding that (<see cref="ConnectionProbe.HolderOf"/>). So the
/// web process pays nothing per request for it, and the PM trusts no pid a web process could name. Unix-socket apps
/// only (TCP connections are not followed); at most <see cref="Limit"/> requests per report.
/// </summary>
public static class HeldRequests
{
    public const int Limit = 256;

    /// <summary>The request each instance (by pid) holds; of several (a multiplexing app), the oldest.</summary>
    public static IReadOnlyDictionary<int, HeldRequest> Find(IReadOnlyList<InFlightRequest> inFlight, Func<string, SupervisedApp?> findApp)
    {
        var held = new Dictionary<int, HeldRequest>();
        foreach (var request in inFlight.Where(r => r.Descriptor >= 0).OrderBy(r => r.Since).Take(Limit))
        {
            if (findApp(request.App) is not { } app || !ConnectionProbe.CanSeeRequests(app) || ClientInode(request) is not { } inode)
            {
                continue;
            }

            try
            {
                if (ConnectionProbe.HolderOf(app, inode) is { } holder)
                {
                    held.TryAdd(holder.Instance.Pid, new HeldRequest(request.Method, request.Uri, request.Since));
                }
            }
            catch (PosixException)
            {
                // No socket table this time: the request is shown without its instance.
            }
        }

        return held;
    }

    private static uint? ClientInode(InFlightRequest request)
    {
        try
        {
            return new FileInfo($"/proc/{request.WebPid}/fd/{request.Descriptor}").LinkTarget is { } target ? UnixSocketTable.SocketInode(target) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
