using Pm.Posix;

namespace Pm.Protocol.Queue;

/// <summary>
/// How writers and the reader share the spool file without losing a record.
/// <para>
/// Writers append whole records with O_APPEND: on a local filesystem each write(2) to a regular file runs under
/// the inode lock, so concurrent appends never interleave and writers need not exclude one another. Each writer
/// holds a one-byte lock in a writer slot far beyond any real file size while it checks and appends; the reader
/// takes a whole-file lock, which conflicts with every slot, to swap the file out. So writers contend only with
/// that swap (microseconds), not with each other (slots are by pid; a collision only serialises two writers).
/// </para>
/// <para>
/// Swap, all under the reader's whole-file lock: link the spool to queue.spool.replay, rename a fresh file over
/// queue.spool, and seal the old file (mode 0400: no owner write bit). A writer that then locks its slot on the
/// old file sees the seal through fstat on its own descriptor, which proves everything it appended before is in
/// the reader's hands, and reopens the path.
/// </para>
/// </summary>
internal static class SpoolProtocol
{
    private const long WriterSlotBase = 1L << 40;
    private const int WriterSlots = 1 << 16;
    private const uint OwnerWrite = 0x80;

    /// <summary>r-------- : a spool the reader has taken out of service.</summary>
    public const uint SealedMode = 0x100;

    /// <summary>The byte a writer locks while it appends.</summary>
    public static long WriterSlot(int pid) => WriterSlotBase + (pid & (WriterSlots - 1));

    public static bool IsSealed(in FileStatus status) => (status.Permissions & OwnerWrite) == 0;
}
