using Pm.Posix;
using Pm.Shared;

namespace Pm.Protocol.Queue;

/// <summary>
/// A writer's half of the spool (see <see cref="SpoolProtocol"/>): appends whole records to queue.spool with
/// O_APPEND under this writer's slot lock while the reader's gate is open, follows the name to the fresh file when
/// the reader retires one, and notices when the reader has taken (sealed) the file of its latest append. The spool
/// is never created here: the PM owns it and sets its modes.
/// <para>
/// Constraints: an append waits at most about <see cref="QueueWriterOptions.SpoolLockWait"/>, in loops bounded
/// even when the injected clock does not move; failures are returned, never thrown. Not thread-safe:
/// <see cref="QueueWriter"/> calls it under its state lock.
/// </para>
/// </summary>
internal sealed class SpoolWriter : IDisposable
{
    // Bounds the slot-lock loop even when the injected clock does not move (a FakeTimeProvider).
    private const int MaxLockAttempts = 1_000_000;

    private readonly QueuePaths _paths;
    private readonly QueueWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly long _slot = SpoolProtocol.WriterSlot(Environment.ProcessId);

    private DescriptorHandle? _spool;   // the spool file our latest record went to

    public SpoolWriter(QueuePaths paths, QueueWriterOptions options)
    {
        _paths = paths;
        _options = options;
        _time = options.TimeProvider;
    }

    public enum Result
    {
        /// <summary>The record is in the spool.</summary>
        Appended,

        /// <summary>Nothing appended: the reader has taken every record spooled so far (asked for with unlessTaken).</summary>
        Taken,

        /// <summary>The record could not be appended; the failure says why.</summary>
        Failed,
    }

    /// <summary>Records were appended that the reader has not been seen to take (no seal observed on the file since).</summary>
    public bool Unconfirmed { get; private set; }

    /// <summary>
    /// Appends one record. With <paramref name="unlessTaken"/>, finding that the reader has taken every record
    /// spooled so far returns <see cref="Result.Taken"/> instead of appending: the caller may use the FIFO again.
    /// </summary>
    public Result Append(ReadOnlySpan<byte> bytes, bool unlessTaken, out QueueWriteFailure failure)
    {
        failure = default;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            if (unlessTaken && !Unconfirmed)
            {
                return Result.Taken;
            }

            if (_spool is null)
            {
                if (!PosixFile.TryOpenAppendExisting(_paths.Spool, out var fd, out var errno))
                {
                    return Fail(out failure, QueueWriteFailureReason.SpoolUnavailable, errno,
                        $"queue writer: no PM reads {_paths.Fifo} and the spool {_paths.Spool} cannot be opened: {QueueWriteFailure.ErrorText(errno)}; record dropped");
                }

                _spool = new DescriptorHandle(fd);
            }

            var spoolFd = _spool.Fd;
            switch (EnterSlot(spoolFd))
            {
                case SlotEntry.TimedOut:
                    return Fail(out failure, QueueWriteFailureReason.SpoolLockTimeout, 0,
                        $"queue writer: could not lock {_paths.Spool} within {DurationFormat.Milliseconds(_options.SpoolLockWait)}; record dropped");

                case SlotEntry.Replaced:
                    // The reader is taking this file out of service and a fresh one already has the name. What we
                    // appended here will be delivered, but is not yet (no seal): keep spooling, into the new file.
                    CloseSpool();
                    continue;
            }

            try
            {
                var mine = PosixFile.StatDescriptor(spoolFd);
                if (!SpoolProtocol.IsSealed(mine))
                {
                    return AppendUnderSlot(spoolFd, mine, bytes, out failure);
                }
            }
            finally
            {
                FileLock.UnlockRange(spoolFd, _slot, 1);
            }

            // Sealed: the file our latest records went to is in the reader's hands, and so is every earlier one.
            Unconfirmed = false;
            CloseSpool();
        }

        return Fail(out failure, QueueWriteFailureReason.SpoolUnavailable, 0,
            $"queue writer: {_paths.Spool} kept being replaced while appending; record dropped");
    }

    public void Dispose()
    {
        _spool?.Dispose();
        _spool = null;
    }

    private static Result Fail(out QueueWriteFailure failure, QueueWriteFailureReason reason, int errno, string message)
    {
        failure = new QueueWriteFailure(reason, errno, message);
        return Result.Failed;
    }

    private void CloseSpool()
    {
        _spool!.Dispose();
        _spool = null;
    }

    // Takes this writer's slot lock on the spool while the reader's gate is open (SpoolProtocol). A closed gate,
    // or a slot blocked by the reader's whole-file lock, means the reader is retiring the file; since it renames
    // a fresh file into place before it closes the gate, the writer can move on instead of waiting.
    private SlotEntry EnterSlot(int fd)
    {
        var start = _time.GetTimestamp();
        var spin = default(SpinWait);
        for (var attempt = 0; ; attempt++)
        {
            if (FileLock.TryLockRangeExclusiveNoWait(fd, _slot, 1))
            {
                if (!FileLock.IsRangeLockedByOther(fd, SpoolProtocol.Gate, 1))
                {
                    return SlotEntry.Entered;
                }

                FileLock.UnlockRange(fd, _slot, 1);
                if (IsReplaced(fd))
                {
                    return SlotEntry.Replaced;
                }
            }
            else if (attempt % 16 == 15 && IsReplaced(fd))
            {
                return SlotEntry.Replaced;
            }

            if (attempt >= MaxLockAttempts || _time.GetElapsedTime(start) >= _options.SpoolLockWait)
            {
                return SlotEntry.TimedOut;
            }

            // Holders keep these locks for one append or one chmod: yield rather than sleep.
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private bool IsReplaced(int fd) =>
        PosixFile.StatPathNoFollow(_paths.Spool) is not { } current || !current.IsSameFileAs(PosixFile.StatDescriptor(fd));

    private Result AppendUnderSlot(int spoolFd, in FileStatus status, ReadOnlySpan<byte> bytes, out QueueWriteFailure failure)
    {
        failure = default;
        // The size is read without excluding other writers, so the limit may be overshot by a few records.
        if (status.Size + bytes.Length > _options.MaxSpoolBytes)
        {
            return Fail(out failure, QueueWriteFailureReason.SpoolFull, 0,
                $"queue writer: {_paths.Spool} holds {status.Size} bytes, the limit is {_options.MaxSpoolBytes}; record dropped");
        }

        var n = PosixFile.WriteOnceReturningErrno(spoolFd, bytes);
        if (n == bytes.Length)
        {
            Unconfirmed = true;
            return Result.Appended;
        }

        // A short append (disk full) leaves a torn record, which the reader skips as garbage; it cannot be cut
        // off again because other writers may have appended behind it.
        return Fail(out failure, QueueWriteFailureReason.SpoolWriteFailed, n < 0 ? -n : 0,
            $"queue writer: appending to {_paths.Spool} failed: {(n < 0 ? QueueWriteFailure.ErrorText(-n) : "short write")}; record dropped");
    }

    private enum SlotEntry
    {
        Entered,
        Replaced,
        TimedOut,
    }
}
