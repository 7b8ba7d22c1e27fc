namespace Pm.Policy;

/// <summary>R record: the app's binary changed on disk; instances started before the change run old code.</summary>
public sealed record BinaryChanged(string AppId, DateTimeOffset At) : PolicyEvent(AppId, At)
{
    /// <summary>The binary's modification time when known; instances started before it are stale. Defaults to <see cref="PolicyEvent.At"/>.</summary>
    public DateTimeOffset? ModifiedAt { get; init; }

    /// <summary>The time instances must have been started after to run the new binary.</summary>
    public DateTimeOffset EffectiveModifiedAt => ModifiedAt ?? At;
}
