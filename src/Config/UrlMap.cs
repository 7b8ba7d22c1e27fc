namespace Pm.Config;

/// <summary>
/// The URL map `pm serve` routes by (the front end's route table is built from the same fields: -url, -document-root
/// and the dynamic roots), longest prefix first as it matches, so what check-config prints is what serve does.
/// </summary>
public static class UrlMap
{
    public static IReadOnlyList<UrlMapEntry> Of(PmConfig config)
    {
        var entries = new List<UrlMapEntry>();
        foreach (var app in config.StaticApps.Where(a => a.UrlPrefix is not null))
        {
            entries.Add(new UrlMapEntry(app.UrlPrefix!, Describe("app", app.Path, app.DocumentRoot), app.Source));
        }

        foreach (var app in config.ExternalApps.Where(a => a.UrlPrefix is not null))
        {
            entries.Add(new UrlMapEntry(app.UrlPrefix!, Describe($"external app ({app.Address})", app.Path, app.DocumentRoot), app.Source));
        }

        foreach (var root in config.DynamicRoots)
        {
            var files = root.RunsEveryFile ? "every file" : string.Join(' ', root.HandlerExtensions);
            entries.Add(new UrlMapEntry(root.UrlPrefix, $"dynamic {root.Directory} ({files})", root.Source));
        }

        return [.. entries.OrderByDescending(e => e.Prefix.Length).ThenBy(e => e.Prefix, StringComparer.Ordinal)];
    }

    private static string Describe(string kind, string path, string? documentRoot) =>
        documentRoot is null ? $"{kind} {path}" : $"{kind} {path}, scripts under {documentRoot}";
}
