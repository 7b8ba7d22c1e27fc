using Pm.Config;
using Pm.FrontEnd.Apps;

namespace Pm.FrontEnd.Routing;

/// <summary>A URL prefix and what is mounted there: a static or external app, or a dynamic root.</summary>
public sealed record Mount(string Prefix, AppBackend? App, DynamicRootConfig? DynamicRoot)
{
    public RouteKind Kind => App is not null ? RouteKind.App : RouteKind.Dynamic;

    /// <summary>
    /// Whether <paramref name="path"/> is under this prefix: equal to it, or continuing with '/' ("/php" covers
    /// "/php" and "/php/x", not "/phpinfo"); "/" covers everything.
    /// </summary>
    public bool Covers(string path) =>
        path.StartsWith(Prefix, StringComparison.Ordinal) &&
        (path.Length == Prefix.Length || path[Prefix.Length] == '/' || Prefix[^1] == '/');
}
