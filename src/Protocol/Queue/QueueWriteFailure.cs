using Pm.Posix;

namespace Pm.Protocol.Queue;

/// <summary>Something that went wrong while writing, for the log. <see cref="Errno"/> is 0 when no call failed.</summary>
public readonly record struct QueueWriteFailure(QueueWriteFailureReason Reason, int Errno, string Message)
{
    public override string ToString() => Message;

    /// <summary>strerror for a message; "unknown error" for 0.</summary>
    internal static string ErrorText(int errno) => errno == 0 ? "unknown error" : PosixFile.ErrorText(errno);
}

public enum QueueWriteFailureReason
{
    /// <summary>The FIFO exists but could not be opened (permissions), or is not a FIFO. Records are spooled.</summary>
    FifoUnusable,

    /// <summary>A write to the FIFO failed with an unexpected error. The record is spooled.</summary>
    FifoWriteFailed,

    /// <summary>The spool file is missing (no PM ever prepared this IPC directory) or cannot be opened. Record dropped.</summary>
    SpoolUnavailable,

    /// <summary>Another writer held the spool lock longer than SpoolLockWait. Record dropped.</summary>
    SpoolLockTimeout,

    /// <summary>The spool reached MaxSpoolBytes. Record dropped.</summary>
    SpoolFull,

    /// <summary>Appending to the spool failed (disk full, I/O error). Record dropped.</summary>
    SpoolWriteFailed,
}
