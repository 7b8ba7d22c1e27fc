using System.Text;

namespace Pm.Config;

/// <summary>
/// The option table of the README, made from <see cref="OptionTable"/> so the two cannot drift apart (a test
/// checks that the README contains exactly this text). `pm config-reference` prints it.
/// </summary>
public static class ConfigReference
{
    public static string OptionsMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| option | on | default | meaning |\n|---|---|---|---|\n");
        foreach (var o in OptionTable.All)
        {
            var arg = o.Kind switch
            {
                OptionKind.Flag => "",
                OptionKind.Integer or OptionKind.Decimal => " n",
                _ => " value",
            };
            var scope = string.Concat(
                o.Scope.HasFlag(OptionScope.Static) ? "S" : "",
                o.Scope.HasFlag(OptionScope.External) ? "E" : "",
                o.Scope.HasFlag(OptionScope.Dynamic) ? "D" : "",
                o.Scope.HasFlag(OptionScope.DynamicRoot) ? "R" : "");
            var name = o.Alias is null ? $"`-{o.Name}{arg}`" : $"`-{o.Name}{arg}` (also `-{o.Alias}`)";
            sb.Append($"| {name} | {scope} | {(o.Default.Length == 0 ? "—" : o.Default)} | {o.Meaning}{(o.Ours ? " *(Pm)*" : "")} |\n");
        }

        return sb.ToString();
    }
}
