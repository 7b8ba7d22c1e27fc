namespace Pm.Config;

/// <summary>
/// What a valid config most likely does not mean to do under `pm serve`: an app nothing routes to (it runs, but no
/// request reaches it through Pm's front end), FastCgiConfig's settings with no dynamic root to apply to. Warnings,
/// not errors: under `pm run` a web server of its own may reach the apps' sockets.
/// </summary>
public static class ConfigWarnings
{
    public static IReadOnlyList<ConfigNotice> Of(PmConfig config)
    {
        var warnings = new List<ConfigNotice>();
        foreach (var (path, source, directive) in config.StaticApps.Where(a => a.UrlPrefix is null).Select(a => (a.Path, a.Source, "FastCgiServer"))
                     .Concat(config.ExternalApps.Where(a => a.UrlPrefix is null).Select(a => (a.Path, a.Source, "FastCgiExternalServer"))))
        {
            warnings.Add(new ConfigNotice(source.File, source.Line, directive,
                $"{directive} {path} has no URL: pm serve routes nothing to it; give it -url /PREFIX, or an Alias /PREFIX {path}"));
        }

        if (config.Dynamic.Source is { } fcgiConfig && config.DynamicRoots.Count == 0)
        {
            warnings.Add(new ConfigNotice(fcgiConfig.File, fcgiConfig.Line, "FastCgiConfig",
                "FastCgiConfig applies to dynamic apps, and no dynamic root holds any: add PmDynamicRoot /URL DIR, or ScriptAlias /URL DIR with AddHandler fastcgi-script .fcgi in <Directory DIR>"));
        }

        return warnings;
    }
}
