namespace Pm.Posix;

/// <summary>A failed libc call: which call, on what, and the errno it returned.</summary>
public sealed class PosixException : IOException
{
    public PosixException(string call, int errno, string? subject = null)
        : base(subject is null
            ? $"{call} failed: {Libc.ErrorText(errno)} (errno {errno})"
            : $"{call} {subject} failed: {Libc.ErrorText(errno)} (errno {errno})")
    {
        Call = call;
        Errno = errno;
    }

    public string Call { get; }

    public int Errno { get; }

    internal static PosixException FromLastError(string call, string? subject = null) =>
        new(call, System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), subject);
}
