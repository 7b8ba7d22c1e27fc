using System.Text;

namespace Pm.Config;

/// <summary>
/// The directive and option tables of the README, made from <see cref="DirectiveTable"/> and <see cref="OptionTable"/>
/// so the two cannot drift apart (a test checks that the README contains exactly this text). `pm config-reference`
/// prints them; the man page (`pm man`) renders the same facts.
/// </summary>
public static class ConfigReference
{
    public static string DirectivesMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| directive | meaning |\n|---|---|\n");
        foreach (var d in DirectiveTable.All)
        {
            sb.Append($"| `{d.Syntax.Replace("|", "\\|", StringComparison.Ordinal)}`{(d.OldName is null ? "" : $" (`{d.OldName}`)")}{(d.Ours ? " *(Pm)*" : "")} | {d.Meaning} |\n");
        }

        return sb.ToString();
    }

    /// <summary>The scope letters of an option, as the table's "on" column shows them (S static, E external, D FastCgiConfig, R PmDynamicRoot).</summary>
    public static string ScopeLetters(OptionScope scope) => string.Concat(
        scope.HasFlag(OptionScope.Static) ? "S" : "",
        scope.HasFlag(OptionScope.External) ? "E" : "",
        scope.HasFlag(OptionScope.Dynamic) ? "D" : "",
        scope.HasFlag(OptionScope.DynamicRoot) ? "R" : "");

    /// <summary>How an option is written with its value: <c>-processes n</c>.</summary>
    public static string OptionSyntax(OptionSpec o) => "-" + o.Name + o.Kind switch
    {
        OptionKind.Flag => "",
        OptionKind.Integer or OptionKind.Decimal => " n",
        _ => " value",
    };

    public static string OptionsMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| option | on | default | meaning |\n|---|---|---|---|\n");
        foreach (var o in OptionTable.All)
        {
            var scope = ScopeLetters(o.Scope);
            var name = o.Alias is null ? $"`{OptionSyntax(o)}`" : $"`{OptionSyntax(o)}` (also `-{o.Alias}`)";
            sb.Append($"| {name} | {scope} | {(o.Default.Length == 0 ? "—" : o.Default)} | {o.Meaning}{(o.Ours ? " *(Pm)*" : "")} |\n");
        }

        return sb.ToString();
    }
}
