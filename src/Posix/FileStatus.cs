namespace Pm.Posix;

/// <summary>What statx(2) says about a file: enough to check type, owner and mode, and to compare identities.</summary>
public readonly record struct FileStatus(
    FileKind Kind,
    uint Mode,
    uint OwnerId,
    uint GroupId,
    long Size,
    ulong Device,
    ulong Inode,
    uint LinkCount)
{
    /// <summary>Permission bits only (rwx for owner, group and others), without set-id and sticky bits.</summary>
    public uint Permissions => Mode & 0x1FF;

    /// <summary>Same file: same device and inode.</summary>
    public bool IsSameFileAs(in FileStatus other) => Device == other.Device && Inode == other.Inode;

    public override string ToString() =>
        $"{Kind} owner {OwnerId} group {GroupId} mode {Convert.ToString(Mode & 0xFFF, 8).PadLeft(4, '0')}";
}

/// <summary>The file type bits of st_mode.</summary>
public enum FileKind
{
    Other,
    RegularFile,
    Directory,
    Fifo,
    SymbolicLink,
    Socket,
}
