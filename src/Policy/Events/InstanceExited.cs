namespace Pm.Policy;

/// <summary>An instance's process is gone (reaped).</summary>
/// <param name="AppId">The app.</param>
/// <param name="At">When it was reaped.</param>
/// <param name="InstanceId">The instance.</param>
/// <param name="ExitCode">Its exit status when it exited normally; null when a signal ended it.</param>
/// <param name="Signal">The signal that ended it; null when it exited normally.</param>
/// <param name="WasRetired">True when it exited after the PM retired it (any policy's decision, shutdown, restart).</param>
/// <param name="Lifetime">From spawn to exit.</param>
public sealed record InstanceExited(
    string AppId,
    DateTimeOffset At,
    long InstanceId,
    int? ExitCode,
    int? Signal,
    bool WasRetired,
    TimeSpan Lifetime) : PolicyEvent(AppId, At)
{
    /// <summary>Exited with status 0 rather than a failure status or a signal.</summary>
    public bool Clean => Signal is null && ExitCode == 0;
}
