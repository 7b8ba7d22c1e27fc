using System.Text.Json;
using Pm.Config;
using Pm.Control;
using Pm.Status;

namespace Pm.Cli;

/// <summary>
/// `pm reload`, `pm restart APP` and `pm stop`: one command to a running PM over its control socket, its answer on
/// stdout (an error on stderr, exit status 1). The PM is found as `pm status` finds it.
/// </summary>
public static class ControlCommand
{
    public static async Task<int> RunAsync(string command, string? configPath, string? ipcDir)
    {
        if (PmLocator.IpcDir(configPath, ipcDir) is not { } found)
        {
            return ExitCodes.ConfigError;
        }

        ipcDir = found;
        var verb = command.Split(' ', 2)[0];
        string reply;
        try
        {
            reply = await ControlClient.SendAsync(IpcLayout.ControlSocket(ipcDir), command, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"pm {verb}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.NotRunning;
        }

        var answer = JsonSerializer.Deserialize(reply, StatusJsonContext.Default.ErrorReply) ?? [];
        if (answer.TryGetValue("error", out var error))
        {
            await Console.Error.WriteLineAsync($"pm {verb}: {error}").ConfigureAwait(false);
            return 1;
        }

        Console.WriteLine(answer.TryGetValue("result", out var result) ? result : reply.Trim());
        return ExitCodes.Ok;
    }
}
