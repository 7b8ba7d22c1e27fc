using Pm.Config;
using Pm.Posix;
using Pm.Protocol.Queue;

namespace Pm.Cli;

/// <summary>`pm request start PATH`: writes one queue record from a shell, as a web process would.</summary>
public static class RequestCommand
{
    public static int Run(string kind, string path, string? configPath, string? ipcDir)
    {
        if (ipcDir is null && configPath is not null)
        {
            if (ConfigLoader.Load(configPath) is not { } config)
            {
                return ExitCodes.ConfigError;
            }

            ipcDir = config.IpcDir;
        }

        else
        {
            // As the PM does with FastCgiIpcDir: an existing directory it did not create stands for its subdirectory.
            ipcDir = IpcLayout.Locate(ipcDir ?? IpcLayout.DefaultDirectory()).Path;
        }

        var full = Path.GetFullPath(path);
        var now = DateTimeOffset.UtcNow;
        var uid = Identity.EffectiveUserId;
        var gid = Identity.EffectiveGroupId;
        QueueRecord record;
        try
        {
            record = kind switch
            {
                "start" or "S" => QueueRecord.Start(full, uid, gid, now),
                "more" or "T" => QueueRecord.MoreNeeded(full, uid, gid, now),
                "changed" or "R" => QueueRecord.BinaryChanged(full, uid, gid, now),
                "done" or "C" => QueueRecord.Complete(full, uid, gid, now, TimeSpan.Zero, TimeSpan.Zero),
                _ => throw new ArgumentException($"unknown record kind '{kind}' (start, more, done or changed)"),
            };
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"pm request: {ex.Message}");
            return ExitCodes.ConfigError;
        }

        var result = QueueWriter.Send(ipcDir, record);
        Console.WriteLine($"{record}: {result}");
        return result == QueueWriteResult.Dropped ? ExitCodes.StartFailed : ExitCodes.Ok;
    }
}
