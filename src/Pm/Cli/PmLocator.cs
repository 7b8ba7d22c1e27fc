using Pm.Config;

namespace Pm.Cli;

/// <summary>
/// Where the commands that talk to a running PM (status, reload, restart, stop) find it: --ipc-dir, else the IPC dir
/// of -c CONFIG, else of $PM_CONFIG, else the default IPC dir.
/// </summary>
public static class PmLocator
{
    /// <summary>The IPC dir; null when the config named has errors (printed).</summary>
    public static string? IpcDir(string? configPath, string? ipcDir)
    {
        if (ipcDir is not null)
        {
            return ipcDir;
        }

        configPath ??= Environment.GetEnvironmentVariable("PM_CONFIG") is { Length: > 0 } named ? named : null;
        if (configPath is null)
        {
            return IpcLayout.DefaultDirectory();
        }

        return ConfigLoader.Load(configPath)?.IpcDir;
    }
}
