namespace Pm.Protocol.Queue;

/// <summary>
/// Who may write to the queue besides the PM's own user: nobody (files 0600), or the members of one group
/// (files 0620 owned by that group: the group may write, never read). The IPC directory must also let the
/// group reach the files (search permission), which is the directory owner's business.
/// </summary>
public sealed record QueueAccess
{
    private QueueAccess(uint? groupId) => GroupId = groupId;

    /// <summary>Only the PM's user (and root) can write.</summary>
    public static QueueAccess OwnerOnly { get; } = new((uint?)null);

    /// <summary>The group whose members may write, or null for <see cref="OwnerOnly"/>.</summary>
    public uint? GroupId { get; }

    /// <summary>Permission bits of the FIFO and spool: 0600, or 0620 with a writer group.</summary>
    public uint FileMode => GroupId is null ? 0x180u /* 0600 */ : 0x190u /* 0620 */;

    /// <summary>Members of this group may write records.</summary>
    public static QueueAccess Group(uint groupId) => new(groupId);

    public override string ToString() => GroupId is { } g ? $"owner and group {g} (0620)" : "owner only (0600)";
}
