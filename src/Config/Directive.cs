namespace Pm.Config;

/// <summary>A logical config line: the directive's name as written, its words, and where it started.</summary>
public sealed record Directive(string Name, IReadOnlyList<string> Arguments, string File, int Line);
