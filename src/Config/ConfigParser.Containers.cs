namespace Pm.Config;

public sealed partial class ConfigParser
{
    private static readonly string[] TransparentModules = ["mod_fastcgi.c", "fastcgi_module", "mod_fastcgi"];

    /// <summary>Drops &lt;IfModule mod_fastcgi.c&gt; wrappers (Pm is that module); any other container is an error.</summary>
    private List<Directive> FilterContainers(IReadOnlyList<Directive> all)
    {
        var result = new List<Directive>();
        var open = new Stack<(Directive Tag, bool Understood)>();
        foreach (var d in all)
        {
            if (d.Name.StartsWith("</", StringComparison.Ordinal))
            {
                if (open.Count == 0)
                {
                    Error(d, "closing tag without a matching opening tag");
                }
                else
                {
                    open.Pop();
                }

                continue;
            }

            if (d.Name.StartsWith('<'))
            {
                var module = (d.Name.Length > "<IfModule".Length ? d.Name["<IfModule".Length..] : string.Join(" ", d.Arguments)).TrimEnd('>').Trim();
                var understood = d.Name.StartsWith("<IfModule", StringComparison.OrdinalIgnoreCase) && TransparentModules.Contains(module, StringComparer.OrdinalIgnoreCase);
                if (!understood)
                {
                    Error(d, "only <IfModule mod_fastcgi.c> containers are understood");
                }

                open.Push((d, understood));
                continue;
            }

            // Directives inside a container Pm does not understand are not read: its error says enough.
            if (open.All(o => o.Understood))
            {
                result.Add(d);
            }
        }

        foreach (var (tag, _) in open)
        {
            Error(tag, "not closed");
        }

        return result;
    }
}
