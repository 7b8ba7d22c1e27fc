namespace Pm.Policy;

/// <summary>Drop every start the PM holds as pending for the app (spawns already made are not affected).</summary>
public sealed record CancelPendingStart(string AppId, string Reason) : Decision(AppId, Reason);
