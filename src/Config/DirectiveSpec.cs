namespace Pm.Config;

/// <summary>One directive of the config as the reference describes it (the parser's handlers are in ConfigParser).</summary>
/// <param name="Syntax">Its name and arguments, as written in a config: <c>PmListen [ADDRESS:]PORT</c>.</param>
/// <param name="OldName">mod_fastcgi's old name for it, read alike.</param>
/// <param name="Meaning">What it does (Markdown: `code`, *emphasis*).</param>
public sealed record DirectiveSpec(string Syntax, string Meaning, string? OldName = null, bool Ours = false)
{
    public string Name => Syntax.Split(' ')[0];
}
