namespace Pm.Policy;

/// <summary>C record: a request finished.</summary>
/// <param name="AppId">The app.</param>
/// <param name="At">When it finished.</param>
/// <param name="QueueTime">From arrival to the first byte from the app (mod_fastcgi's q_usec).</param>
/// <param name="ServiceTime">From the first byte to completion (mod_fastcgi's req_usec).</param>
public sealed record RequestCompleted(string AppId, DateTimeOffset At, TimeSpan QueueTime, TimeSpan ServiceTime)
    : PolicyEvent(AppId, At);
