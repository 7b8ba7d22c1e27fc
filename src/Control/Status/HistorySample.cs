namespace Pm.Status;

/// <summary>An app at one moment of its history: live instances, those holding a request, connections waiting in its accept queue.</summary>
public sealed record HistorySample(DateTimeOffset At, int Instances, int Busy, int Queue);
