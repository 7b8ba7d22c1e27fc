using System.Globalization;

namespace Pm.Config;

/// <summary>
/// How far a directory the PM created (the IPC dir, its dynamic/) must be opened so that whoever a socket in it lets
/// connect can reach that socket: connect(2) needs search (x) permission on every directory of the path, nothing
/// more. The rule: 0700 when every socket is the PM's user's alone (mod_fastcgi's rule); when the only others are
/// the members of one group, that group and 0710; otherwise (others, several groups, another owner) 0711. Never read
/// permission: nobody else lists the sockets, or finds the names of the other files (queue, control socket, all
/// 0600 anyway). A pure decision: <c>Pm.Hosting.IpcDirectory</c> applies it, and only to directories Pm created.
/// </summary>
/// <param name="Mode">0700, 0710 or 0711.</param>
/// <param name="GroupId">The directory's group for 0710; null: the PM's effective group, as mkdir(2) made it.</param>
/// <param name="Reason">Why, for the log: which socket opened it.</param>
public sealed record DirectoryAccess(uint Mode, uint? GroupId, string? GroupName, string Reason)
{
    public const uint PrivateMode = 0x1C0; // 0700
    public const uint GroupSearchMode = 0x1C8; // 0710
    public const uint SearchMode = 0x1C9; // 0711

    public static readonly DirectoryAccess Private = new(PrivateMode, null, null, "no socket in it grants access beyond the PM's user");

    /// <summary>The access a directory needs for sockets with these settings (named by <c>What</c> in the reason).</summary>
    /// <param name="pmUserId">The PM's effective user, the directory's owner.</param>
    /// <param name="pmGroupId">The PM's effective group, the group of a socket that gives none.</param>
    public static DirectoryAccess For(IEnumerable<(string What, SocketAccess Access)> sockets, uint pmUserId, uint pmGroupId)
    {
        var groups = new SortedDictionary<uint, (string? Name, string What)>();
        string? wide = null;
        foreach (var (what, access) in sockets)
        {
            var owner = access.UserId ?? pmUserId;
            if (access.OthersMayConnect)
            {
                wide ??= $"{what} lets every user connect ({access})";
            }
            else if (owner != pmUserId)
            {
                wide ??= $"{what} belongs to user {access.UserName} ({access})";
            }

            if (access.GroupMayConnect)
            {
                groups.TryAdd(access.GroupId ?? pmGroupId, (access.GroupName, what));
            }
        }

        if (wide is not null)
        {
            return new DirectoryAccess(SearchMode, null, null, wide);
        }

        if (groups.Count > 1)
        {
            return new DirectoryAccess(SearchMode, null, null,
                $"sockets in it let {groups.Count} groups connect ({string.Join(", ", groups.Select(g => $"{Name(g.Key, g.Value.Name)} for {g.Value.What}"))})");
        }

        if (groups.Count == 1)
        {
            var (gid, (name, what)) = groups.First();
            return new DirectoryAccess(GroupSearchMode, gid, name ?? Name(gid, null), $"{what} lets group {Name(gid, name)} connect");
        }

        return Private;
    }

    /// <summary>
    /// The IPC dir's access: what its own sockets need (static apps' sockets in it or below) and, since the way to
    /// dynamic/ goes through it, what the dynamic apps' sockets need.
    /// </summary>
    public static DirectoryAccess ForIpcDir(PmConfig config, uint pmUserId, uint pmGroupId) =>
        For(IpcDirSockets(config).Concat(DynamicSockets(config)), pmUserId, pmGroupId);

    /// <summary>dynamic/'s access: what FastCgiConfig's and each PmDynamicRoot's socket settings need.</summary>
    public static DirectoryAccess ForDynamicDir(PmConfig config, uint pmUserId, uint pmGroupId) =>
        For(DynamicSockets(config), pmUserId, pmGroupId);

    /// <summary>Same mode and group (the reason may be worded differently).</summary>
    public bool SameAs(DirectoryAccess other) => Mode == other.Mode && GroupId == other.GroupId;

    public override string ToString() =>
        GroupId is null ? $"{SocketAccess.Octal(Mode)}: {Reason}" : $"{SocketAccess.Octal(Mode)}, group {GroupName}: {Reason}";

    private static IEnumerable<(string What, SocketAccess Access)> IpcDirSockets(PmConfig config)
    {
        var prefix = config.IpcDir.TrimEnd('/') + "/";
        foreach (var app in config.StaticApps)
        {
            if (app.Address.SocketPath is { } path && path.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return ($"the socket of {app.Path}", app.Access);
            }
        }
    }

    private static IEnumerable<(string What, SocketAccess Access)> DynamicSockets(PmConfig config)
    {
        // Only roots have dynamic apps; FastCgiConfig's settings reach them as each root's defaults.
        foreach (var root in config.DynamicRoots)
        {
            yield return ($"the sockets of PmDynamicRoot {root.UrlPrefix}", root.Access ?? config.Dynamic.Access);
        }
    }

    private static string Name(uint gid, string? name) => name ?? gid.ToString(CultureInfo.InvariantCulture);
}
