namespace Pm.Policy;

/// <summary>The PM spawned an instance (it is listed as Starting from now on).</summary>
/// <param name="AppId">The app.</param>
/// <param name="At">When the process was spawned.</param>
/// <param name="InstanceId">The new instance.</param>
public sealed record InstanceStarted(string AppId, DateTimeOffset At, long InstanceId) : PolicyEvent(AppId, At);
