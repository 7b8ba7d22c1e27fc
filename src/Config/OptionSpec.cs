namespace Pm.Config;

/// <summary>One option of the mod_fastcgi directives (or one of ours), with its limits and default.</summary>
public sealed record OptionSpec(
    string Name,
    OptionKind Kind,
    OptionScope Scope,
    string Default,
    string Meaning,
    double Min = double.MinValue,
    double Max = double.MaxValue,
    bool Repeatable = false,
    bool Ours = false,
    string? Alias = null);
