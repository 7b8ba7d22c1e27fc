namespace Pm.Policy;

/// <summary>What one app's scale decision came to: the summary's note, the supply after it, and the level kept.</summary>
internal readonly record struct DemandOutcome(string Note, int Supply, int Keep);
