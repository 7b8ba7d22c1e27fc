namespace Pm.Config;

/// <summary>
/// What the front end does with a URL under an app's -document-root (php-cgi): which files are scripts the app runs,
/// which file a directory URL stands for, and whether other files are served as they are. The defaults make a PHP
/// document root safe as php-fpm's <c>security.limit_extensions = .php</c> does: only a <c>.php</c> file ever reaches
/// the app, so an uploaded <c>evil.txt</c> holding PHP code is sent as text, never run.
/// </summary>
/// <param name="Extensions">-extensions: file name endings of scripts, compared case-sensitively (Linux names are).</param>
/// <param name="IndexFiles">-index: the files tried, in order, for a URL naming a directory.</param>
/// <param name="StaticFiles">-static: other existing files are sent with their content type (on) or are 404 (off).</param>
public sealed record DocumentRootRules(IReadOnlyList<string> Extensions, IReadOnlyList<string> IndexFiles, bool StaticFiles)
{
    public const string ExtensionsOption = "extensions";
    public const string IndexOption = "index";
    public const string StaticOption = "static";

    public static readonly DocumentRootRules Default = new([".php"], ["index.php"], true);

    /// <summary>Whether a file name ends with one of the script extensions (and is more than the extension).</summary>
    public bool IsScript(string fileName)
    {
        foreach (var extension in Extensions)
        {
            if (fileName.Length > extension.Length && fileName.EndsWith(extension, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the directive gives any of the three options (they need -document-root).</summary>
    public static bool Given(OptionValues o) => o.Has(ExtensionsOption) || o.Has(IndexOption) || o.Has(StaticOption);

    /// <summary>The three options of one directive, checked; errors through <paramref name="error"/>, each naming the option.</summary>
    public static DocumentRootRules From(OptionValues o, Action<string> error)
    {
        var extensions = o.Text(ExtensionsOption) is { } e ? List(e, ExtensionsOption, error, isExtension: true) : Default.Extensions;
        var index = o.Text(IndexOption) is { } i ? List(i, IndexOption, error, isExtension: false) : Default.IndexFiles;
        var serveStatic = Default.StaticFiles;
        if (o.Text(StaticOption) is { } s)
        {
            if (string.Equals(s, "on", StringComparison.OrdinalIgnoreCase))
            {
                serveStatic = true;
            }
            else if (string.Equals(s, "off", StringComparison.OrdinalIgnoreCase))
            {
                serveStatic = false;
            }
            else
            {
                error($"-{StaticOption} '{s}' must be on or off");
            }
        }

        return new DocumentRootRules(extensions, index, serveStatic);
    }

    private static string[] List(string text, string option, Action<string> error, bool isExtension)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0)
        {
            error($"-{option} '{text}' names nothing");
        }

        foreach (var item in items)
        {
            if (item.Contains('/') || item.Contains('\0') || item is "." or "..")
            {
                error($"-{option} '{item}' must be a file name, without '/'");
            }
            else if (isExtension && (item.Length < 2 || item[0] != '.'))
            {
                // ".php", not "php": without the dot, "-extensions php" would make "notphp" a script.
                error($"-{option} '{item}' must be a dot and a name, e.g. .php");
            }
        }

        return items;
    }

    // Records compare lists by reference; a reload compares configs by value.
    public bool Equals(DocumentRootRules? other) =>
        other is not null && StaticFiles == other.StaticFiles &&
        Extensions.SequenceEqual(other.Extensions, StringComparer.Ordinal) && IndexFiles.SequenceEqual(other.IndexFiles, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(StaticFiles, Extensions.Count, IndexFiles.Count);
}
