namespace Pm.Policy;

/// <summary>Start <paramref name="Count"/> more instances of the app.</summary>
/// <param name="AppId">The app.</param>
/// <param name="Count">How many, at least 1.</param>
/// <param name="NotBefore">
/// The PM holds the starts as pending (see <see cref="AppView.PendingStarts"/>) until this time; null = now.
/// A later <see cref="CancelPendingStart"/> drops them.
/// </param>
/// <param name="Reason">Why.</param>
public sealed record SpawnInstances(string AppId, int Count, DateTimeOffset? NotBefore, string Reason)
    : Decision(AppId, Reason);
