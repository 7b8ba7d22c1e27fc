namespace Pm.Cli;

/// <summary>`pm check-config FILE`: reports every error without starting anything.</summary>
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
            Console.WriteLine($"  dynamic  {root.UrlPrefix} -> {root.Directory} ({string.Join(" ", root.HandlerExtensions)}), policy {root.Policy.Name}");
        }

        return ExitCodes.Ok;
    }
}
