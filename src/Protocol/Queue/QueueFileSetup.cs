using Pm.Posix;

namespace Pm.Protocol.Queue;

/// <summary>
/// Creates and checks the queue's files for the reader. The rules: the IPC directory and every queue file must
/// belong to the PM's effective user and be what they should be (directory, FIFO, regular file, never a
/// symbolic link); nothing may grant any permission to others, and the directory may not be writable by group
/// or others (whoever can write it can replace the files). Group and mode bits are then set to what
/// <see cref="QueueAccess"/> asks, so a changed writer group takes effect at the next start. Checks are made on
/// the opened descriptor (fstat), so what was checked is what is used.
/// </summary>
internal static class QueueFileSetup
{
    private const uint OthersBits = 0x7; // o=rwx
    private const uint GroupOrOthersWrite = 0x12; // g+w, o+w

    public static void PrepareDirectory(QueuePaths paths, QueueAccess access)
    {
        var dir = paths.Directory;
        if (PosixFile.StatPathNoFollow(dir) is null)
        {
            // 0700, or 0710 so that the writer group can reach the files (but not list or change the directory).
            PosixFile.MakeDirectory(dir, 0x1C0);
            var fd = PosixFile.OpenDirectoryNoFollow(dir);
            try
            {
                if (access.GroupId is { } g)
                {
                    PosixFile.ChangeGroupOfDescriptor(fd, g);
                    PosixFile.ChangeModeOfDescriptor(fd, 0x1C8);
                }
            }
            finally
            {
                FileDescriptor.Close(fd);
            }
        }

        var st = PosixFile.StatPathNoFollow(dir) ?? throw new QueueSetupException(dir, "disappeared while being created");
        if (st.Kind != FileKind.Directory)
        {
            throw new QueueSetupException(dir, $"is a {st.Kind}, not a directory");
        }

        CheckOwner(dir, st);
        if ((st.Permissions & GroupOrOthersWrite) != 0)
        {
            throw new QueueSetupException(dir, $"is writable by group or others ({st}); anyone who can write it can replace the queue files");
        }
    }

    /// <summary>Creates the FIFO if missing and opens its read end (non-blocking).</summary>
    public static int OpenFifoReadEnd(QueuePaths paths, QueueAccess access)
    {
        PosixFile.MakeFifo(paths.Fifo, 0x180);
        var fd = OpenChecked(paths.Fifo, () => PosixFile.OpenReadOnlyNonBlocking(paths.Fifo));
        return Adopt(fd, paths.Fifo, FileKind.Fifo, access);
    }

    /// <summary>Opens (creating if missing) the spool for replay and truncation.</summary>
    public static int OpenSpool(QueuePaths paths, QueueAccess access)
    {
        var fd = OpenChecked(paths.Spool, () => PosixFile.OpenReadWriteOrCreate(paths.Spool, 0x180));
        return Adopt(fd, paths.Spool, FileKind.RegularFile, access);
    }

    /// <summary>A fresh, empty spool under the temporary name, with the final owner and mode already set.</summary>
    public static int CreateNextSpool(QueuePaths paths, QueueAccess access)
    {
        // A leftover from a PM that died between creating and swapping: it was never in service, so it is empty.
        PosixFile.Unlink(paths.SpoolNext);
        var fd = PosixFile.CreateExclusiveReadWrite(paths.SpoolNext, 0x180);
        return Adopt(fd, paths.SpoolNext, FileKind.RegularFile, access);
    }

    /// <summary>Opens a leftover replay file after checking it like the spool; null if there is none.</summary>
    public static int? OpenLeftoverReplay(QueuePaths paths, QueueAccess access)
    {
        if (PosixFile.StatPathNoFollow(paths.SpoolReplay) is null)
        {
            return null;
        }

        // Checked but not given the writers' mode: it may be sealed already, and must stay out of their reach.
        var fd = OpenChecked(paths.SpoolReplay, () => PosixFile.OpenReadWriteExisting(paths.SpoolReplay));
        return Adopt(fd, paths.SpoolReplay, FileKind.RegularFile, access, normalize: false);
    }

    private static int OpenChecked(string path, Func<int> open)
    {
        try
        {
            return open();
        }
        catch (PosixException e) when (e.Errno == Errno.ELOOP) // O_NOFOLLOW met a symbolic link
        {
            throw new QueueSetupException(path, "is a symbolic link");
        }
    }

    private static int Adopt(int fd, string path, FileKind kind, QueueAccess access, bool normalize = true)
    {
        try
        {
            var st = PosixFile.StatDescriptor(fd);
            if (st.Kind != kind)
            {
                throw new QueueSetupException(path, $"is a {st.Kind}, expected a {kind}");
            }

            CheckOwner(path, st);
            if ((st.Permissions & OthersBits) != 0 || (st.Mode & 0xE00) != 0)
            {
                throw new QueueSetupException(path, $"grants access to others or has set-id/sticky bits ({st}); expected {access}");
            }

            if (!normalize)
            {
                return fd;
            }

            if (access.GroupId is { } g && st.GroupId != g)
            {
                PosixFile.ChangeGroupOfDescriptor(fd, g);
            }

            if (st.Permissions != access.FileMode)
            {
                PosixFile.ChangeModeOfDescriptor(fd, access.FileMode);
            }

            return fd;
        }
        catch
        {
            FileDescriptor.Close(fd);
            throw;
        }
    }

    private static void CheckOwner(string path, in FileStatus st)
    {
        var me = Identity.EffectiveUserId;
        if (st.OwnerId != me)
        {
            throw new QueueSetupException(path, $"belongs to uid {st.OwnerId}, not to the PM's uid {me} ({st})");
        }
    }
}
