namespace Pm.Bench.Peers;

/// <summary>Which peers this machine has (Debian packages installed); a missing peer's cells say so instead of a figure.</summary>
public sealed record PeersAvailable(bool Nginx, bool ApacheFcgid, bool PhpFpm)
{
    public static PeersAvailable Detect() => new(PeerSetup.HasNginx, PeerSetup.HasApacheFcgid, PeerSetup.PhpFpm is not null);

    public string Missing(int column) => column switch
    {
        PeerTable.Nginx => "skipped: nginx not installed",
        PeerTable.Fcgid => "skipped: apache2 / libapache2-mod-fcgid not installed",
        PeerTable.PhpFpm => Nginx ? "skipped: php-fpm not installed" : "skipped: nginx (its front end) not installed",
        _ => "n/a",
    };

    public string Notes => string.Join(" ", new[]
    {
        Nginx ? null : "nginx (nginx-light) is not installed: its column is skipped.",
        ApacheFcgid ? null : "apache2 or libapache2-mod-fcgid is not installed: the mod_fcgid column is skipped.",
        PhpFpm ? null : "php-fpm is not installed: its column is skipped.",
    }.Where(n => n is not null));
}
