namespace Pm.Supervision;

/// <summary>
/// One of a static app's -processes places. It keeps what mod_fastcgi's slots keep: when it last started an
/// instance (the restart-delay spacing is measured from there) and the start it is waiting for.
/// </summary>
public sealed class AppSlot(int index)
{
    public int Index { get; } = index;

    public Instance? Current { get; set; }

    public DateTimeOffset? LastStart { get; set; }

    public DateTimeOffset? StartAt { get; set; }

    public ITimer? StartTimer { get; set; }

    /// <summary>Whether a reload lowered -processes below it: its instance stops and it is not started again.</summary>
    public bool Retired { get; set; }

    public void CancelStart()
    {
        StartTimer?.Dispose();
        StartTimer = null;
        StartAt = null;
    }
}
