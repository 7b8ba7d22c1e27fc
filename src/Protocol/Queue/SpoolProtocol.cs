using Pm.Posix;

namespace Pm.Protocol.Queue;

/// <summary>
/// How writers and the reader share the spool file without losing, duplicating or reordering a record, and
/// without either side waiting on the other for more than microseconds.
/// <para>
/// Writers append whole records with O_APPEND: on a local filesystem each write(2) to a regular file runs under
/// the inode lock, so concurrent appends never interleave and writers need not exclude one another. Each writer
/// holds an open-file-description lock on one byte in a writer slot far beyond any real file size (by pid)
/// while it checks and appends, and appends only if the reader's gate byte is not locked.
/// </para>
/// <para>
/// Retiring a spool, by the reader: (1) link it to queue.spool.replay and rename a fresh file over queue.spool,
/// without any lock (only the reader renames); new appends go to the fresh file from then on. (2) Lock the gate
/// on the old file: writers that still hold it find the gate closed, see that the name now points elsewhere, and
/// reopen, so nobody waits for the reader. (3) Take the whole-file lock, which conflicts with every slot, so it
/// is granted once the appends already under way have finished. (4) Seal the file (mode 0400, no owner write
/// bit) and note how many bytes the FIFO holds (FIONREAD); unlock. (5) Deliver those FIFO bytes, then the file.
/// </para>
/// <para>
/// Ordering: a writer that spooled keeps spooling until it finds the file of its latest append sealed, through
/// fstat on its own descriptor under its slot lock. Everything it appended before is then in the reader's
/// hands, and the FIFO bytes it wrote before spooling were counted in step 4; what it writes to the FIFO now
/// comes after both.
/// </para>
/// </summary>
internal static class SpoolProtocol
{
    private const long WriterSlotBase = 1L << 40;
    private const int WriterSlots = 1 << 16;
    private const uint OwnerWrite = 0x80;

    /// <summary>The byte the reader locks to turn writers away from a file it is retiring.</summary>
    public const long Gate = WriterSlotBase - 1;

    /// <summary>r-------- : a spool the reader has taken out of service.</summary>
    public const uint SealedMode = 0x100;

    /// <summary>The byte a writer locks while it appends.</summary>
    public static long WriterSlot(int pid) => WriterSlotBase + (pid & (WriterSlots - 1));

    public static bool IsSealed(in FileStatus status) => (status.Permissions & OwnerWrite) == 0;
}
