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
        if (PmLocator.IpcDir(configPath, ipcDir) is not { } found)
        {
            return ExitCodes.ConfigError;
        }

        ipcDir = found;
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
