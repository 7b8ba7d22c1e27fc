namespace Pm.Policy;

/// <summary>One app as the PM sees it at evaluation time.</summary>
/// <param name="AppId">The app's identity (its path for a dynamic app).</param>
/// <param name="Instances">Live instances; exited instances are not listed.</param>
/// <param name="PendingStarts">Starts the PM holds from earlier <see cref="SpawnInstances"/> decisions but has not made yet.</param>
/// <param name="QueuedConnections">
/// Connections waiting in the app's accept queue, as the kernel reports them: requests no instance has taken yet,
/// however short their wait so far (0 where the PM cannot see the queue).
/// </param>
public sealed record AppView(string AppId, IReadOnlyList<InstanceView> Instances, int PendingStarts, int QueuedConnections = 0);
