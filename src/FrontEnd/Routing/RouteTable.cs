namespace Pm.FrontEnd.Routing;

/// <summary>
/// URL routing: the longest prefix among the apps' -url and the PmDynamicRoot prefixes wins; "/" itself, when no
/// app is mounted there, is the status page; anything else is not found. Prefixes are unique (the config parser
/// refuses duplicates), so the order among equal lengths never matters. Built once; matching allocates nothing.
/// </summary>
public sealed class RouteTable
{
    private readonly Mount[] _mounts;

    public RouteTable(IEnumerable<Mount> mounts)
    {
        // Longest first: the first that covers a path is the longest prefix of it.
        _mounts = [.. mounts.OrderByDescending(m => m.Prefix.Length).ThenBy(m => m.Prefix, StringComparer.Ordinal)];
    }

    public IReadOnlyList<Mount> Mounts => _mounts;

    public RouteMatch Match(string path)
    {
        foreach (var mount in _mounts)
        {
            if (mount.Covers(path))
            {
                return new RouteMatch(mount.Kind, mount);
            }
        }

        return path is "/" or "/metrics" ? new RouteMatch(RouteKind.Status, null) : new RouteMatch(RouteKind.NotFound, null);
    }
}
