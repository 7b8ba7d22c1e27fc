using Pm.Config;

namespace Pm.Cli;

/// <summary>
/// Where the commands that talk to a running PM (status, reload, restart, stop) find it: --ipc-dir, else the IPC dir
/// of -c CONFIG, else of $PM_CONFIG, else the default IPC dir. A directory named by --ipc-dir or the default stands,
/// as FastCgiIpcDir does for the PM, for the PM's subdirectory when it is an existing directory the PM did not create
/// (<see cref="IpcLayout.Locate"/>); a config computes that itself.
/// </summary>
public static class PmLocator
{
    /// <summary>The IPC dir; null when the config named has errors (printed).</summary>
    public static string? IpcDir(string? configPath, string? ipcDir)
    {
        if (ipcDir is not null)
        {
            return IpcLayout.Locate(Path.GetFullPath(ipcDir)).Path;
        }

        configPath ??= Environment.GetEnvironmentVariable("PM_CONFIG") is { Length: > 0 } named ? named : null;
        if (configPath is null)
        {
            return IpcLayout.Locate(IpcLayout.DefaultDirectory()).Path;
        }

        return ConfigLoader.Load(configPath)?.IpcDir;
    }
}
