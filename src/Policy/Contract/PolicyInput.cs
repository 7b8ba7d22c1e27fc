namespace Pm.Policy;

/// <summary>What a policy sees at one evaluation.</summary>
/// <param name="Now">The time of this evaluation; the only clock a policy reads.</param>
/// <param name="Apps">The apps this policy manages, with their live instances (exited ones are not listed).</param>
/// <param name="Events">
/// Everything that happened to these apps since the previous call, oldest first. The snapshot in
/// <paramref name="Apps"/> already reflects these events: an instance reported by an InstanceStarted event is listed,
/// one reported by InstanceExited is not.
/// </param>
/// <param name="Global">Figures across every dynamic app of the PM, not only this policy's.</param>
public sealed record PolicyInput(
    DateTimeOffset Now,
    IReadOnlyList<AppView> Apps,
    IReadOnlyList<PolicyEvent> Events,
    GlobalView Global);
