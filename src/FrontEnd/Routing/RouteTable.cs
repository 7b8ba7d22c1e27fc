namespace Pm.FrontEnd.Routing;

/// <summary>
/// URL routing: the status page's path (PmStatusPage, and its metrics at PATH/metrics) when configured, exactly and
/// before any app; then the longest prefix among the apps' -url and the PmDynamicRoot prefixes wins; anything else is
/// not found. Prefixes are unique (the config parser
/// refuses duplicates), so the order among equal lengths never matters. Built once; matching allocates nothing.
/// </summary>
public sealed class RouteTable
{
    private readonly Mount[] _mounts;
    private readonly string? _statusPath;
    private readonly string? _metricsPath;

    /// <param name="statusPath">PmStatusPage: where the public listener serves the status page; null: nowhere.</param>
    public RouteTable(IEnumerable<Mount> mounts, string? statusPath = null)
    {
        _statusPath = statusPath;
        _metricsPath = statusPath is null ? null : MetricsPath(statusPath);
        // Longest first: the first that covers a path is the longest prefix of it.
        _mounts = [.. mounts.OrderByDescending(m => m.Prefix.Length).ThenBy(m => m.Prefix, StringComparer.Ordinal)];
    }

    public IReadOnlyList<Mount> Mounts => _mounts;

    /// <summary>Where the metrics of a status page at <paramref name="statusPath"/> are: PATH/metrics, "/metrics" for "/".</summary>
    public static string MetricsPath(string statusPath) => statusPath == "/" ? "/metrics" : statusPath + "/metrics";

    public RouteMatch Match(string path)
    {
        if (_statusPath is not null)
        {
            if (path == _statusPath)
            {
                return new RouteMatch(RouteKind.Status, null);
            }

            if (path == _metricsPath)
            {
                return new RouteMatch(RouteKind.Metrics, null);
            }
        }

        foreach (var mount in _mounts)
        {
            if (mount.Covers(path))
            {
                return new RouteMatch(mount.Kind, mount);
            }
        }

        return new RouteMatch(RouteKind.NotFound, null);
    }
}
