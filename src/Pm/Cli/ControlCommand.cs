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
