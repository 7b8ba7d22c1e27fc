using System.Security.Cryptography;
using System.Text;

namespace Pm.Config;

/// <summary>
/// Names inside the IPC dir, computed the same way by the PM and the web processes so that neither needs to
/// ask the other: app sockets (md5 of the app path, as mod_fastcgi names them), the dynamic-app socket dir,
/// the queue, the control socket and the lock that keeps two PMs off one dir.
/// </summary>
public static class IpcLayout
{
    /// <summary>sockaddr_un.sun_path holds 108 bytes including the terminating NUL.</summary>
    public const int MaxSocketPathBytes = 107;

    public static string DefaultDirectory()
    {
        if (Posix.Identity.IsRoot)
        {
            return "/run/pm";
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime)
            ? Path.Combine(runtime, "pm")
            : $"/tmp/pm-{Posix.Identity.EffectiveUserId}";
    }

    /// <summary>mod_fastcgi's default socket name: md5 of the path (plus user and group when given).</summary>
    public static string HashedName(string appPath, string? user = null, string? group = null) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(appPath + user + group)));

    public static string DynamicDirectory(string ipcDir) => Path.Combine(ipcDir, "dynamic");

    public static string DynamicSocket(string ipcDir, string appPath) =>
        Path.Combine(DynamicDirectory(ipcDir), HashedName(appPath));

    public static string ControlSocket(string ipcDir) => Path.Combine(ipcDir, "pm.sock");

    public static string LockFile(string ipcDir) => Path.Combine(ipcDir, "pm.lock");

    public static string PidFile(string ipcDir) => Path.Combine(ipcDir, "pm.pid");

    public static string Queue(string ipcDir) => Path.Combine(ipcDir, "queue");

    public static string QueueSpool(string ipcDir) => Path.Combine(ipcDir, "queue.spool");

    /// <summary>Sockets are bound under this suffix and renamed into place once they listen.</summary>
    public const string TemporarySuffix = ".new";

    /// <summary>Whether a socket path, and its temporary name, fit in sockaddr_un.</summary>
    public static bool FitsSocketPath(string path) => Encoding.UTF8.GetByteCount(path) + TemporarySuffix.Length <= MaxSocketPathBytes;
}
