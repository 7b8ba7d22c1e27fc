using Pm.Config;

namespace Pm.Cli;

/// <summary>
/// `pm check-config FILE`: reports every error without starting anything; for a valid config, what it runs, the URL
/// map `pm serve` routes by, the lines passed over (notices) and what most likely is not meant (warnings). Notices and
/// warnings do not change the exit code: 0 for a config Pm would run, 2 for one with errors.
/// </summary>
public static class CheckConfigCommand
{
    public static int Run(string path)
    {
        if (ConfigLoader.Load(path) is not { } config)
        {
            return ExitCodes.ConfigError;
        }

        Console.WriteLine($"{path}: OK: {config.StaticApps.Count} static apps ({config.StaticApps.Sum(a => a.Processes)} instances), " +
            $"{config.ExternalApps.Count} external apps, {config.DynamicRoots.Count} dynamic roots; IPC dir {config.IpcDir}" +
            (config.Ipc.IsSubdirectory ? $" ({config.Ipc.Reason})" : ""));
        if (config.LogFile is not null)
        {
            Console.WriteLine($"  log file {config.LogFile} (reopened on SIGUSR1)");
        }

        foreach (var app in config.StaticApps)
        {
            Console.WriteLine($"  static   {app.Path} x{app.Processes} on {app.Address}{(app.Access == Config.SocketAccess.Private ? "" : $" ({app.Access})")}{(app.UrlPrefix is null ? "" : " at " + app.UrlPrefix)}");
        }

        foreach (var app in config.ExternalApps)
        {
            Console.WriteLine($"  external {app.Path} at {app.Address}{(app.UrlPrefix is null ? "" : " at " + app.UrlPrefix)}");
        }

        foreach (var root in config.DynamicRoots)
        {
            var files = root.RunsEveryFile ? "every file" : string.Join(" ", root.HandlerExtensions);
            Console.WriteLine($"  dynamic  {root.UrlPrefix} -> {root.Directory} ({files}), policy {root.Policy.Name}");
        }

        var map = UrlMap.Of(config);
        Console.WriteLine(map.Count == 0 ? "URL map: empty: pm serve answers 404 to everything but its status page" : "URL map (longest prefix first):");
        foreach (var entry in map)
        {
            Console.WriteLine($"  {entry}    ({entry.Source})");
        }

        foreach (var notice in config.Notices)
        {
            Console.WriteLine($"notice: {notice}");
        }

        foreach (var warning in ConfigWarnings.Of(config))
        {
            Console.WriteLine($"warning: {warning}");
        }

        return ExitCodes.Ok;
    }
}
