namespace Pm.Config;

/// <summary>
/// Apache's sections (&lt;VirtualHost&gt;, &lt;IfModule&gt;, &lt;Directory&gt;, &lt;Location&gt;, &lt;Files&gt; ...): their
/// nesting checked as httpd checks it, and each line inside handed on with the section it sits in, or passed
/// over with one notice for the section when Pm cannot map it.
/// </summary>
public sealed partial class ConfigParser
{
    private List<Directive> ReadSections(IReadOnlyList<Directive> all)
    {
        var result = new List<Directive>();
        var open = new Stack<ConfigSection>();
        foreach (var d in all)
        {
            if (d.Name.StartsWith("</", StringComparison.Ordinal))
            {
                Close(d, open);
                continue;
            }

            if (d.Name.StartsWith('<'))
            {
                Open(d, open);
                continue;
            }

            // Lines of a section that is skipped (or is wrong: its error says enough) are not read.
            if (open.All(s => s.Role != SectionRole.Skipped))
            {
                result.Add(open.Count == 0 ? d : d with { Section = open.Peek() });
            }
        }

        foreach (var s in open)
        {
            Error(s.Tag, $"not closed: </{s.Name}> is missing");
        }

        return result;
    }

    private void Open(Directive d, Stack<ConfigSection> open)
    {
        var name = d.Name[1..].TrimEnd('>');
        var args = d.Arguments.ToList();
        var closedOnName = d.Name.EndsWith('>');
        if (!closedOnName)
        {
            if (args.Count > 0 && args[^1] == ">")
            {
                args.RemoveAt(args.Count - 1);
            }
            else if (args.Count > 0 && args[^1].EndsWith('>'))
            {
                args[^1] = args[^1][..^1];
            }
            else
            {
                Error(d, $"the section tag <{name} must end with '>'");
            }
        }

        var parent = open.Count == 0 ? null : open.Peek();
        var role = SectionRole.Skipped;
        if (ApacheVocabulary.Classify(name, args) is not { } kind)
        {
            Error(d, $"unknown section <{name}>; Pm reads Apache's <VirtualHost>, <IfModule>, <Directory>, <Location>, <Files> and their kin");
        }
        else if (parent?.Role == SectionRole.Skipped)
        {
            // Inside a skipped section: its notice covers this one too.
        }
        else
        {
            role = kind.Role;
            var section = new ConfigSection(name, args, role, d, parent);
            if (kind.Role == SectionRole.Skipped)
            {
                Notice(d, $"ignored: Apache section {section} and the lines in it: {kind.Why}");
            }
            else if (name.Equals("VirtualHost", StringComparison.OrdinalIgnoreCase))
            {
                Notice(d, $"read through: Pm serves one site on PmListen, so the lines of {section} apply to it and the address is not used");
            }

            open.Push(section);
            return;
        }

        open.Push(new ConfigSection(name, args, role, d, parent));
    }

    private void Close(Directive d, Stack<ConfigSection> open)
    {
        var name = d.Name[2..].TrimEnd('>').Trim();
        if (open.Count == 0)
        {
            Error(d, $"</{name}> closes no open section");
            return;
        }

        var top = open.Pop();
        if (!top.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            Error(d, $"</{name}> does not close <{top.Name}> (line {top.Tag.Line})");
        }
    }
}
