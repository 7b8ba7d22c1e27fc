using System.Runtime.InteropServices;

namespace Pm.Posix;

/// <summary>
/// Owns one descriptor. Code that writes from many threads takes a reference (<see cref="SafeHandle.DangerousAddRef"/>)
/// around each call, so a concurrent <see cref="SafeHandle.Dispose()"/> closes the descriptor only after the last
/// call returns and the number can never be reused under a write in flight.
/// </summary>
public sealed class DescriptorHandle : SafeHandle
{
    public DescriptorHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor; valid only while a reference is held or the handle is known to be open.</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle()
    {
        FileDescriptor.Close(Fd);
        return true;
    }
}
