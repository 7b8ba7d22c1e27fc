using System.Security.Cryptography;
using System.Text;

namespace Pm.Config;

/// <summary>
/// Names inside the IPC dir, computed the same way by the PM and the web processes so that neither needs to
/// ask the other: app sockets (md5 of the app path, as mod_fastcgi names them), the dynamic-app socket dir,
/// the queue, the control socket and the lock that keeps two PMs off one dir; and which directory a configured IPC
/// dir stands for (<see cref="Locate"/>), which every side must agree on too.
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

    /// <summary>The file the PM writes in a directory it creates for IPC: its proof that it may set that directory's mode.</summary>
    public const string CreatedMarkerName = ".pm-created";

    public static string CreatedMarker(string dir) => Path.Combine(dir, CreatedMarkerName);

    /// <summary>The PM's own subdirectory of an existing directory it did not create: per user, so two users' PMs can share /tmp.</summary>
    public static string PrivateSubdirectory(string dir, uint userId) =>
        Path.Combine(dir, "pm-" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The directory a configured IPC dir stands for, for this process's user (see <see cref="IpcDirLocation"/>).
    /// The PM creates and marks the directory before any web process or command looks, so all of them see the same.
    /// </summary>
    public static IpcDirLocation Locate(string configured) => Locate(configured, Posix.Identity.EffectiveUserId);

    public static IpcDirLocation Locate(string configured, uint userId)
    {
        Posix.FileStatus? status;
        try
        {
            status = Posix.PosixFile.StatPathNoFollow(configured);
        }
        catch (Posix.PosixException)
        {
            return new IpcDirLocation(configured, configured, IpcDirLocation.Origin.Unusable);
        }

        if (status is null)
        {
            return new IpcDirLocation(configured, configured, IpcDirLocation.Origin.ToBeCreated);
        }

        if (status.Value.Kind != Posix.FileKind.Directory)
        {
            return new IpcDirLocation(configured, configured, IpcDirLocation.Origin.Unusable);
        }

        return IsMarked(configured, status.Value)
            ? new IpcDirLocation(configured, configured, IpcDirLocation.Origin.CreatedByPm)
            : new IpcDirLocation(configured, PrivateSubdirectory(configured, userId), IpcDirLocation.Origin.InsideExisting);
    }

    /// <summary>
    /// Whether the directory holds the marker as its owner wrote it: a regular file of the directory's owner, so that
    /// nobody else can make a shared directory (/tmp) pass for one the PM created.
    /// </summary>
    public static bool IsMarked(string dir, Posix.FileStatus dirStatus)
    {
        try
        {
            return Posix.PosixFile.StatPathNoFollow(CreatedMarker(dir)) is { Kind: Posix.FileKind.RegularFile } marker
                && marker.OwnerId == dirStatus.OwnerId;
        }
        catch (Posix.PosixException)
        {
            return false; // cannot look inside: not something this process can tell was the PM's
        }
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
