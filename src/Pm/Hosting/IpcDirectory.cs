using Pm.Config;
using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// Prepares the IPC dir: the directory <see cref="IpcLayout.Locate"/> chose (the configured one, or the PM's own
/// subdirectory of an existing directory it did not create), created 0700 with the marker that says the PM made it
/// (mod_fastcgi's rule: only the PM's user may reach the sockets), owned by the PM's user, opened just as far as
/// its sockets need (<see cref="DirectoryAccess"/>), locked so that a second PM on the same dir refuses to start,
/// and with dynamic/ made afresh, wiped of sockets a previous PM left behind.
/// </summary>
/// <remarks>
/// The PM changes the mode and group only of directories it created: one that holds the marker, or dynamic/, which
/// it makes itself at every start inside one. A directory it did not create (a shared /tmp, a RuntimeDirectory of
/// systemd) is never chmod'ed or chown'ed; the PM works in its pm-UID subdirectory there, and refuses, with the
/// reason, a parent that others could swap that subdirectory out of (writable by others without the sticky bit).
/// </remarks>
public sealed class IpcDirectory : IDisposable
{
    private const uint Private = DirectoryAccess.PrivateMode;
    private const uint GroupOrOthersWrite = 0x12; // g+w, o+w
    private const uint Sticky = 0x200;

    private readonly FileStream _lock;

    private IpcDirectory(string path, FileStream lockFile, IReadOnlyList<string> report)
    {
        Path = path;
        _lock = lockFile;
        Report = report;
    }

    public string Path { get; }

    /// <summary>Which directory is used and why, and how far it was opened and why: lines for the PM's log.</summary>
    public IReadOnlyList<string> Report { get; }

    /// <param name="location">Where the config's IPC dir stands (the config computed it as every side does).</param>
    /// <param name="access">What the IPC dir's sockets, and the way to dynamic/, need.</param>
    /// <param name="dynamicAccess">What dynamic/'s sockets need.</param>
    public static IpcDirectory Prepare(IpcDirLocation location, DirectoryAccess access, DirectoryAccess dynamicAccess)
    {
        var path = location.Path;
        var report = new List<string>();
        if (location.How == IpcDirLocation.Origin.Unusable)
        {
            var what = PosixFile.StatPathNoFollow(path) is { } s ? s.ToString() : "nothing";
            throw new IOException($"IPC dir {path} exists and is not a directory (symbolic links are refused): {what}");
        }

        if (location.IsSubdirectory)
        {
            CheckSharedParent(location.Configured);
        }
        else if (location.How == IpcDirLocation.Origin.ToBeCreated)
        {
            // Parents are made as mkdir -p would (0755 less the umask): what protects the sockets is the IPC dir.
            if (System.IO.Path.GetDirectoryName(path) is { Length: > 0 } parent)
            {
                Directory.CreateDirectory(parent);
            }
        }

        var created = PosixFile.MakeDirectory(path, Private);
        if (created)
        {
            WriteMarker(path);
        }

        var status = PosixFile.StatPathNoFollow(path) ?? throw new IOException($"IPC dir {path} vanished after creation");
        if (status.Kind != FileKind.Directory)
        {
            throw new IOException($"IPC dir {path} exists and is not a directory (symbolic links are refused)");
        }

        if (status.OwnerId != Identity.EffectiveUserId)
        {
            throw new IOException($"IPC dir {path} is owned by uid {status.OwnerId}, not by the PM's user (uid {Identity.EffectiveUserId})");
        }

        if (!created && !IpcLayout.IsMarked(path, status))
        {
            throw new IOException(location.IsSubdirectory
                ? $"IPC dir {path} exists but the PM did not create it (no {IpcLayout.CreatedMarkerName} in it), so it will not change its mode: remove it, or name another FastCgiIpcDir"
                : $"IPC dir {path} appeared while the PM was starting and the PM did not create it (no {IpcLayout.CreatedMarkerName} in it); start again, or name another FastCgiIpcDir");
        }

        report.Add($"IPC dir {path}{(created ? " (created now)" : "")}: {location.Reason}");

        // A Pm-made directory only, by descriptor (never through a link put in its place).
        Open(path, access);
        report.Add($"IPC dir {path} mode {access}");

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

        PosixFile.MakeDirectory(dynamic, Private);
        Open(dynamic, dynamicAccess);
        if (!dynamicAccess.SameAs(DirectoryAccess.Private))
        {
            report.Add($"dynamic app sockets in {dynamic}, mode {dynamicAccess}");
        }

        return new IpcDirectory(path, lockFile, report);
    }

    /// <summary>
    /// The existing directory the PM's subdirectory goes in must not let anyone else remove or rename that
    /// subdirectory: owned by the PM's user or root, and, if group or others may write it, sticky (as /tmp is).
    /// </summary>
    private static void CheckSharedParent(string parent)
    {
        var status = PosixFile.StatPathNoFollow(parent) ?? throw new IOException($"IPC dir {parent} vanished while the PM was starting");
        if (status.Kind != FileKind.Directory)
        {
            throw new IOException($"IPC dir {parent} exists and is not a directory (symbolic links are refused)");
        }

        if (status.OwnerId != Identity.EffectiveUserId && status.OwnerId != 0)
        {
            throw new IOException($"IPC dir {parent} is an existing directory of uid {status.OwnerId} ({status}): the PM (uid {Identity.EffectiveUserId}) will not work inside another user's directory; name one of its own, or one that does not exist yet");
        }

        if ((status.Permissions & GroupOrOthersWrite) != 0 && (status.Mode & Sticky) == 0)
        {
            throw new IOException($"IPC dir {parent} is writable by group or others without the sticky bit ({status}): anyone could replace the PM's subdirectory in it; name another FastCgiIpcDir");
        }
    }

    /// <summary>The marker, created exclusively: what IpcLayout.IsMarked checks before the PM sets this directory's mode.</summary>
    private static void WriteMarker(string dir)
    {
        var fd = PosixFile.CreateExclusiveReadWrite(IpcLayout.CreatedMarker(dir), 0x1A4); // 0644: the CLI may look
        try
        {
            var text = "Pm created this directory for its sockets and may set its mode. Without this file Pm treats it as someone else's.\n"u8;
            if (PosixFile.WriteOnceReturningErrno(fd, text) != text.Length)
            {
                throw new IOException($"cannot write {IpcLayout.CreatedMarker(dir)}");
            }
        }
        finally
        {
            FileDescriptor.Close(fd);
        }
    }

    /// <summary>Sets the directory's group and mode to <paramref name="access"/>'s, by descriptor.</summary>
    private static void Open(string dir, DirectoryAccess access)
    {
        var fd = PosixFile.OpenDirectoryNoFollow(dir);
        try
        {
            var status = PosixFile.StatDescriptor(fd);
            var group = access.GroupId ?? Identity.EffectiveGroupId;
            if (status.GroupId != group)
            {
                PosixFile.ChangeGroupOfDescriptor(fd, group);
            }

            if ((status.Mode & 0xFFF) != access.Mode)
            {
                PosixFile.ChangeModeOfDescriptor(fd, access.Mode);
            }
        }
        finally
        {
            FileDescriptor.Close(fd);
        }
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
