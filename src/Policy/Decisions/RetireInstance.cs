namespace Pm.Policy;

/// <summary>Retire one instance gracefully: it takes no new request, finishes the one it holds, then is stopped.</summary>
public sealed record RetireInstance(string AppId, long InstanceId, string Reason) : Decision(AppId, Reason);
