using System.Globalization;

namespace Pm.Config;

/// <summary>
/// Who may connect to a Unix socket the PM binds: the socket file's owner, group and mode, as php-fpm's
/// listen.owner, listen.group and listen.mode. connect(2) on a Unix socket needs write permission on its file (and
/// search permission on every directory above it, which <see cref="DirectoryAccess"/> works out), so a web server
/// running as another user (nginx's www-data) reaches the socket only through the group or other bits given here.
/// </summary>
/// <remarks>
/// Parsed by <see cref="Parse(string?, string?, string?, Action{string})"/> from the three option values, so any
/// directive that binds a socket (-socket-user, -socket-group, -socket-mode on the app directives today) reads them
/// the same way. Null ids leave the file as bind(2) made it: the PM's user and effective group.
/// </remarks>
/// <param name="UserId">-socket-user: the socket file's owner; null: the PM's user.</param>
/// <param name="UserName">The owner as written resolved to its name, for log lines; null with <paramref name="UserId"/>.</param>
/// <param name="GroupId">-socket-group: the socket file's group; null: the PM's effective group.</param>
/// <param name="GroupName">The group's name, for log lines; null with <paramref name="GroupId"/>.</param>
/// <param name="Mode">-socket-mode: permission bits, at most 0777.</param>
public sealed record SocketAccess(uint? UserId, string? UserName, uint? GroupId, string? GroupName, uint Mode)
{
    /// <summary>The mode without options: the PM's user alone (mod_fastcgi's rule).</summary>
    public const uint PrivateMode = 0x180; // 0600

    /// <summary>The mode when an owner or group is given without a mode: they can connect (php-fpm's listen.mode default).</summary>
    public const uint SharedMode = 0x1B0; // 0660

    private const uint OwnerReadWrite = 0x180; // 0600
    private const uint GroupWrite = 0x10; // 0020
    private const uint OtherWrite = 0x2; // 0002

    /// <summary>No options given: 0600, owned by the PM's user.</summary>
    public static readonly SocketAccess Private = new(null, null, null, null, PrivateMode);

    public const string UserOption = "socket-user";
    public const string GroupOption = "socket-group";
    public const string ModeOption = "socket-mode";

    /// <summary>Whether anyone but the socket's owner may connect: the group's or others' write bit.</summary>
    public bool GroupMayConnect => (Mode & GroupWrite) != 0;

    public bool OthersMayConnect => (Mode & OtherWrite) != 0;

    /// <summary>
    /// Reads the three values as given (null when not given) for the PM running as this process's user; errors go to
    /// <paramref name="error"/>, each naming the option, and the result is then null. With none given,
    /// <see cref="Private"/>.
    /// </summary>
    public static SocketAccess? Parse(string? user, string? group, string? mode, Action<string> error) =>
        Parse(user, group, mode, Posix.Identity.EffectiveUserId, Posix.Identity.Groups, error);

    /// <summary>As <see cref="Parse(string?, string?, string?, Action{string})"/> for a PM of the given user and groups.</summary>
    /// <param name="pmUserId">The PM's effective user: only root may give a socket to another user.</param>
    /// <param name="pmGroups">The PM's groups: a PM that is not root may give a socket only to one of its own.</param>
    public static SocketAccess? Parse(string? user, string? group, string? mode, uint pmUserId, IReadOnlyList<uint> pmGroups, Action<string> error)
    {
        if (user is null && group is null && mode is null)
        {
            return Private;
        }

        var ok = true;
        void Fail(string message)
        {
            error(message);
            ok = false;
        }

        var root = pmUserId == 0;
        Posix.UserDatabase.User? owner = null;
        if (user is not null)
        {
            owner = Posix.UserDatabase.FindUser(user);
            if (owner is null)
            {
                Fail($"-{UserOption} '{user}': unknown user");
            }
            else if (!root && owner.Uid != pmUserId)
            {
                Fail($"-{UserOption} '{user}' (uid {owner.Uid}) needs the PM to run as root: only root may give a file to another user");
            }
        }

        Posix.UserDatabase.Group? socketGroup = null;
        if (group is not null)
        {
            socketGroup = Posix.UserDatabase.FindGroup(group);
            if (socketGroup is null)
            {
                Fail($"-{GroupOption} '{group}': unknown group");
            }
            else if (!root && !pmGroups.Contains(socketGroup.Gid))
            {
                Fail($"-{GroupOption} '{group}' (gid {socketGroup.Gid}) is not one of the PM's groups: a PM not running as root may give a file only to its own groups");
            }
        }

        var bits = SharedMode;
        if (mode is not null)
        {
            if (ParseMode(mode) is { } parsed)
            {
                bits = parsed;
            }
            else
            {
                Fail($"-{ModeOption} '{mode}' must be octal permission bits, at most 0777 (e.g. 0660); set-id and sticky bits mean nothing on a socket");
            }
        }

        // The web processes and the PM's own probe of a stale socket connect as the PM's user. As root they pass any
        // mode, but the owner is then not the PM's user; otherwise the owner's read and write bits are the PM's.
        var ownerIsPm = owner is null || owner.Uid == pmUserId;
        if (ok && ownerIsPm && (bits & OwnerReadWrite) != OwnerReadWrite)
        {
            Fail($"-{ModeOption} {Octal(bits)} would lock the PM's own user (uid {pmUserId}) out of the socket: the owner needs read and write (0600)");
        }

        return ok
            ? new SocketAccess(owner?.Uid, owner?.Name, socketGroup?.Gid, socketGroup?.Name, bits)
            : null;
    }

    /// <summary>The three options of one directive; errors through <paramref name="error"/>, and then <see cref="Private"/>.</summary>
    public static SocketAccess From(OptionValues o, Action<string> error) =>
        Parse(o.Text(UserOption), o.Text(GroupOption), o.Text(ModeOption), error) ?? Private;

    /// <summary>Whether the directive gives any of the three options.</summary>
    public static bool Given(OptionValues o) => o.Has(UserOption) || o.Has(GroupOption) || o.Has(ModeOption);

    /// <summary>Octal digits only (an optional leading 0), at most 0777; null otherwise.</summary>
    public static uint? ParseMode(string text)
    {
        if (text.Length is 0 or > 4 || !text.All(c => c is >= '0' and <= '7'))
        {
            return null;
        }

        var value = Convert.ToUInt32(text, 8);
        return value <= 0x1FF ? value : null;
    }

    public static string Octal(uint mode) => "0" + Convert.ToString(mode, 8).PadLeft(3, '0');

    /// <summary>"owner www-data, group www-data, mode 0660"; the PM's own ids are "the PM's user" and "the PM's group".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"owner {(UserId is null ? "the PM's user" : $"{UserName} ({UserId})")}, group {(GroupId is null ? "the PM's group" : $"{GroupName} ({GroupId})")}, mode {Octal(Mode)}");
}
