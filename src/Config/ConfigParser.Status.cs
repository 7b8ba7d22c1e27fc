namespace Pm.Config;

/// <summary>Where the status page and the metrics are served: PmStatusListen (a listener of their own) and PmStatusPage (a path on the public one).</summary>
public sealed partial class ConfigParser
{
    private AppAddress? _statusListen;
    private SocketAccess? _statusAccess;
    private bool _statusListenGiven;
    private string? _statusPage;

    /// <summary>
    /// PmStatusListen unix:PATH | [ADDRESS:]PORT [-socket-user U] [-socket-group G] [-socket-mode M]: a listener that
    /// serves the status page ("/", "/?json") and the Prometheus text ("/metrics") and nothing else. A port without an
    /// address is loopback only; a Unix socket is 0660 unless the options say otherwise, as PmFastCgiListen's.
    /// </summary>
    private void ReadStatusListen(Directive d)
    {
        if (_statusListenGiven)
        {
            Error(d, "given more than once");
            return;
        }

        _statusListenGiven = true;
        if (ListenAddress(d, "PmStatusListen") is { } listen)
        {
            (_statusListen, _statusAccess) = listen;
        }
    }

    /// <summary>
    /// PmStatusPage URL-PATH: the status page also on the public HTTP listener, at that path (its metrics at PATH/metrics,
    /// "/metrics" for "/"). Without it the public listener serves no status at all: the page names every app, pid and
    /// address, which is not for everyone who can reach the site.
    /// </summary>
    private void ReadStatusPage(Directive d)
    {
        if (Single(d, _statusPage, "a URL path") is not { } path)
        {
            return;
        }

        if (!path.StartsWith('/') || path.Contains('?', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal) || path.Contains("//", StringComparison.Ordinal))
        {
            Error(d, $"'{path}' is not a URL path (it starts with '/' and has no '?', '#' or '//')");
            return;
        }

        _statusPage = path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
