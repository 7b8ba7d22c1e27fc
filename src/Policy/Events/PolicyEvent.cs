namespace Pm.Policy;

/// <summary>Something that happened to an app since the previous evaluation.</summary>
/// <param name="AppId">The app it concerns.</param>
/// <param name="At">When it happened (for queue records: the writer's timestamp).</param>
public abstract record PolicyEvent(string AppId, DateTimeOffset At);
