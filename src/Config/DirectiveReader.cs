using System.Text;

namespace Pm.Config;

/// <summary>
/// Splits an Apache-style config into directives. Apache's rules, because users paste lines from their
/// httpd.conf: one directive per line; a backslash at the very end of a line continues it on the next;
/// a line whose first non-blank character is '#' is a comment (a '#' later in the line is an ordinary
/// character); words are separated by blanks; a word may be quoted with "..." or '...', inside which a
/// backslash escapes the quote character. Errors carry the line where the directive started.
/// </summary>
public static class DirectiveReader
{
    public static IReadOnlyList<Directive> Read(string file, string text, List<ConfigError> errors)
    {
        var directives = new List<Directive>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var logical = new StringBuilder();
        var startLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (logical.Length == 0)
            {
                startLine = i + 1;
                var trimmed = line.TrimStart();
                if (trimmed.Length == 0 || trimmed[0] == '#')
                {
                    continue;
                }
            }

            if (line.EndsWith('\\'))
            {
                logical.Append(line, 0, line.Length - 1).Append(' ');
                if (i == lines.Length - 1)
                {
                    errors.Add(new ConfigError(file, startLine, "", "line continuation '\\' at the end of the file"));
                }

                continue;
            }

            logical.Append(line);
            AddDirective(file, startLine, logical.ToString(), directives, errors);
            logical.Clear();
        }

        if (logical.Length > 0)
        {
            AddDirective(file, startLine, logical.ToString(), directives, errors);
        }

        return directives;
    }

    private static void AddDirective(string file, int line, string text, List<Directive> directives, List<ConfigError> errors)
    {
        var words = Split(text, out var error);
        if (error is not null)
        {
            errors.Add(new ConfigError(file, line, words.Count > 0 ? words[0] : "", error));
            return;
        }

        if (words.Count > 0)
        {
            directives.Add(new Directive(words[0], words.Skip(1).ToArray(), file, line));
        }
    }

    /// <summary>Splits one logical line into words, honouring quotes.</summary>
    public static List<string> Split(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return words;
            }

            var word = new StringBuilder();
            if (text[i] is '"' or '\'')
            {
                var quote = text[i++];
                var closed = false;
                while (i < text.Length)
                {
                    var c = text[i++];
                    if (c == '\\' && i < text.Length && (text[i] == quote || text[i] == '\\'))
                    {
                        word.Append(text[i++]);
                    }
                    else if (c == quote)
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        word.Append(c);
                    }
                }

                if (!closed)
                {
                    error = $"unterminated {quote} quote";
                    return words;
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    word.Append(text[i++]);
                }
            }

            words.Add(word.ToString());
        }
    }
}
