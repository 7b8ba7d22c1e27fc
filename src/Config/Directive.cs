namespace Pm.Config;

/// <summary>A logical config line: the directive's name as written, its words, and where it started.</summary>
public sealed record Directive(string Name, IReadOnlyList<string> Arguments, string File, int Line)
{
    /// <summary>The innermost Apache section (&lt;VirtualHost&gt;, &lt;Directory&gt; ...) the line sits in; null at top level.</summary>
    public ConfigSection? Section { get; init; }
}
