using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>lstat(2): what kind of file a path is and who owns it. .NET has no API for sockets and FIFOs.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, long Size)
{
    private const uint TypeMask = 0xF000;

    public bool IsSocket => (Mode & TypeMask) == 0xC000;

    public bool IsFifo => (Mode & TypeMask) == 0x1000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegular => (Mode & TypeMask) == 0x8000;

    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>The permission bits (07777).</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>lstat; null if the path does not exist.</summary>
    public static unsafe FileStatus? Lstat(string path)
    {
        var buf = stackalloc byte[Libc.StatSize];
        if (Libc.lstat(path, buf) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.ENOENT || errno == 20 /* ENOTDIR */)
            {
                return null;
            }

            throw new PosixException("lstat", errno, path);
        }

        return new FileStatus(
            *(uint*)(buf + Libc.StatModeOffset),
            *(uint*)(buf + Libc.StatUidOffset),
            *(uint*)(buf + Libc.StatGidOffset),
            *(long*)(buf + Libc.StatSizeOffset));
    }
}
