using Pm.Policy;
using Pm.Posix;
using Pm.Status;

namespace Pm.Supervision;

/// <summary>
/// The dynamic apps, as the supervisor loop drives them: records from web processes in, instance exits in, and
/// their part of a shutdown and of the status. Implemented in Dynamic/ (which builds on Supervision, not the
/// other way round); called on the loop only.
/// </summary>
public interface IDynamicApps
{
    /// <summary>Queue records for dynamic apps, as policy events, in the order the web processes wrote them.</summary>
    void OnDemand(IReadOnlyList<(string Path, PolicyEvent Event)> batch);

    /// <summary>A dynamic instance was reaped.</summary>
    void OnInstanceExited(Instance instance, WaitStatus? status);

    /// <summary>Shutdown: no more starts; the supervisor stops the instances.</summary>
    void Stop();

    /// <summary>After every instance is gone: the sockets.</summary>
    void ReleaseAll();

    /// <summary>The dynamic apps as status shows them, their history up to <paramref name="now"/>.</summary>
    IEnumerable<AppStatus> Status(DateTimeOffset now);

    /// <summary>The dynamic apps open now (the health round looks at their instances).</summary>
    IEnumerable<SupervisedApp> Apps { get; }

    /// <summary>The open dynamic app with that path; null if none.</summary>
    SupervisedApp? Find(string path);
}
