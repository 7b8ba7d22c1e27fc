using System.Text.Json;
using Pm.Config;
using Pm.Control;
using Pm.Status;

namespace Pm.Cli;

/// <summary>`pm status`: asks a running PM over its control socket; `--json` for scripts.</summary>
public static class StatusCommand
{
    public static async Task<int> RunAsync(string? configPath, string? ipcDir, bool json)
    {
        configPath ??= ipcDir is null ? Environment.GetEnvironmentVariable("PM_CONFIG") is { Length: > 0 } named ? named : null : null;
        if (ipcDir is null && configPath is not null)
        {
            if (ConfigLoader.Load(configPath) is not { } config)
            {
                return ExitCodes.ConfigError;
            }

            ipcDir = config.IpcDir;
        }

        ipcDir ??= IpcLayout.DefaultDirectory();
        string reply;
        try
        {
            reply = await ControlClient.SendAsync(IpcLayout.ControlSocket(ipcDir), "status", TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"pm status: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.NotRunning;
        }

        if (json)
        {
            Console.Write(reply);
            return ExitCodes.Ok;
        }

        var report = JsonSerializer.Deserialize(reply, StatusJsonContext.Default.StatusReport)
            ?? throw new InvalidDataException("the PM sent an empty status");
        Console.Write(StatusPrinter.Format(report));
        return ExitCodes.Ok;
    }
}
