using Pm.Config;
using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// Prepares the IPC dir: created 0700 (mod_fastcgi's rule: only the PM's user may reach the sockets), owned by
/// the PM's user, locked so that a second PM on the same dir refuses to start, and with dynamic/ wiped of sockets
/// a previous PM left behind.
/// </summary>
public sealed class IpcDirectory : IDisposable
{
    private readonly FileStream _lock;

    private IpcDirectory(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    public static IpcDirectory Prepare(string path)
    {
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (PosixFile.StatPathNoFollow(path) is not { } status)
        {
            Directory.CreateDirectory(path, Private);
            status = PosixFile.StatPathNoFollow(path) ?? throw new IOException($"IPC dir {path} vanished after creation");
        }

        if (status.Kind != FileKind.Directory)
        {
            throw new IOException($"IPC dir {path} exists and is not a directory (symbolic links are refused)");
        }

        if (status.OwnerId != Identity.EffectiveUserId)
        {
            throw new IOException($"IPC dir {path} is owned by uid {status.OwnerId}, not by the PM's user (uid {Identity.EffectiveUserId})");
        }

        if (status.Permissions != 0x1C0)
        {
            File.SetUnixFileMode(path, Private);
        }

        var lockPath = IpcLayout.LockFile(path);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            // The lock holder is the PM that wrote pm.pid (the lock file itself cannot be read while locked).
            var pidFile = IpcLayout.PidFile(path);
            var other = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "?";
            throw new IOException($"another PM (pid {other}) is already running with IPC dir {path}");
        }

        File.WriteAllText(IpcLayout.PidFile(path), Watchdog.UserPid + "\n");

        var dynamic = IpcLayout.DynamicDirectory(path);
        if (Directory.Exists(dynamic))
        {
            Directory.Delete(dynamic, recursive: true);
        }

        Directory.CreateDirectory(dynamic, Private);
        return new IpcDirectory(path, lockFile);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(IpcLayout.PidFile(Path));
            File.Delete(IpcLayout.LockFile(Path));
        }
        catch (IOException)
        {
        }

        _lock.Dispose();
    }
}
