namespace Pm.Status;

/// <summary>
/// Something the PM did to an app's instances, or that happened to one: <see cref="Kind"/> is "start" (a start,
/// by the policy, a restart or a recycling), "stop" (retired or stopped), "kill" (killed for a limit) or "exit" (it
/// ended without being asked); <see cref="Why"/> in the words the log uses.
/// </summary>
public sealed record HistoryEvent(DateTimeOffset At, string Kind, int Pid, string Why)
{
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Kill = "kill";
    public const string Exit = "exit";
}
