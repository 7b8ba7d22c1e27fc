namespace Pm.Config;

/// <summary>
/// An Apache section a directive sits in (&lt;Directory /srv/fcgi&gt;, &lt;Location /app&gt;, &lt;VirtualHost *:80&gt;
/// ...), with the one it is nested in. Apache's rule that a &lt;Directory&gt; applies to the lines of the
/// &lt;Files&gt; inside it is why the chain is kept and not only the innermost section.
/// </summary>
/// <param name="Name">The section's name as Apache spells it (Directory, Location, Files ...).</param>
/// <param name="Arguments">The words of the opening tag, without the closing '&gt;'.</param>
/// <param name="Role">What the parser does with the lines inside.</param>
/// <param name="Tag">The opening tag, for messages.</param>
/// <param name="Parent">The section around this one; null at top level.</param>
public sealed record ConfigSection(string Name, IReadOnlyList<string> Arguments, SectionRole Role, Directive Tag, ConfigSection? Parent)
{
    /// <summary>This section or the nearest one around it named <paramref name="name"/>.</summary>
    public ConfigSection? Nearest(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>The section's argument as one text ("*:80", "/srv/fcgi").</summary>
    public string Argument => string.Join(' ', Arguments);

    public override string ToString() => Arguments.Count == 0 ? $"<{Name}>" : $"<{Name} {Argument}>";
}
