namespace Pm.Config;

/// <summary>
/// Where <c>FastCgiWrapper On</c> finds suexec. mod_fastcgi took Apache's compiled-in SUEXEC_BIN; Pm has no Apache
/// to ask, so it looks where the distributions install it: Debian and Ubuntu's alternatives link (set by
/// apache2-suexec-pristine or apache2-suexec-custom), then RHEL and Fedora's httpd.
/// </summary>
public static class Suexec
{
    public static readonly IReadOnlyList<string> Candidates = ["/usr/lib/apache2/suexec", "/usr/sbin/suexec"];

    /// <summary>The first installed, executable suexec, or null.</summary>
    public static string? Find() => Candidates.FirstOrDefault(Posix.UserDatabase.CanExecute);

    public static string Missing =>
        $"On means suexec, and none is installed (looked for {string.Join(" and ", Candidates)}): on Debian or Ubuntu install " +
        "apache2-suexec-pristine (or apache2-suexec-custom, whose document root is configurable), elsewhere your httpd's suexec; " +
        "or give the wrapper's path (FastCgiWrapper /path/to/wrapper), or say Off";
}
