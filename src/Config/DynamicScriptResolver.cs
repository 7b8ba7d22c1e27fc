namespace Pm.Config;

/// <summary>
/// Maps a URL path under a dynamic root to the executable it names, the way Apache maps a CGI URL: the first path
/// segment that is a file is the script, the rest is PATH_INFO. Only what the root holds can be started: ".."
/// segments, a script reached through a symbolic link that leads out of the root, a file without one of the root's
/// handler extensions (unless the root runs every file, as SetHandler asks), or one that is not executable are refused, each with its reason. The PM checks queue records
/// with the same rules, so a web process cannot make it start anything else.
/// </summary>
public static class DynamicScriptResolver
{
    /// <summary>What became of a lookup: a script, or an HTTP status (404 or 403) and why.</summary>
    public sealed record Result(DynamicScript? Script, int Status, string? Problem);

    /// <summary>The root whose URL prefix matches <paramref name="urlPath"/> (longest prefix), if any.</summary>
    public static DynamicRootConfig? FindRoot(IReadOnlyList<DynamicRootConfig> roots, string urlPath)
    {
        DynamicRootConfig? best = null;
        foreach (var root in roots)
        {
            if (HasPrefix(urlPath, root.UrlPrefix) && (best is null || root.UrlPrefix.Length > best.UrlPrefix.Length))
            {
                best = root;
            }
        }

        return best;
    }

    /// <summary>Resolves a decoded URL path that starts with the root's prefix.</summary>
    public static Result Resolve(DynamicRootConfig root, string urlPath)
    {
        var rest = urlPath.Length > root.UrlPrefix.Length ? urlPath[root.UrlPrefix.Length..] : "";
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is ".." or "." || s.Contains('\0')))
        {
            return new Result(null, 403, "the path contains '.' or '..' segments");
        }

        var rootReal = RealPath(root.Directory);
        var current = root.Directory;
        for (var i = 0; i < segments.Length; i++)
        {
            current = Path.Combine(current, segments[i]);
            var status = Posix.PosixFile.StatPathNoFollow(current);
            if (status is null)
            {
                return new Result(null, 404, $"{current} does not exist");
            }

            var real = RealPath(current);
            if (real is null || rootReal is null || !(real == rootReal || real.StartsWith(rootReal + "/", StringComparison.Ordinal)))
            {
                return new Result(null, 403, $"{current} leads outside the dynamic root {root.Directory}");
            }

            if (Directory.Exists(real))
            {
                continue;
            }

            if (!root.RunsEveryFile && !root.HandlerExtensions.Any(ext => segments[i].EndsWith(ext, StringComparison.Ordinal)))
            {
                return new Result(null, 403, $"{current} has none of the root's handler extensions ({string.Join(" ", root.HandlerExtensions)})");
            }

            if (!File.Exists(real) || !Posix.UserDatabase.CanExecute(real))
            {
                return new Result(null, 403, $"{current} is not an executable file");
            }

            var scriptName = root.UrlPrefix.TrimEnd('/') + "/" + string.Join('/', segments[..(i + 1)]);
            var pathInfo = i + 1 < segments.Length ? "/" + string.Join('/', segments[(i + 1)..]) + (rest.EndsWith('/') ? "/" : "") : "";
            return new Result(new DynamicScript(root, current, scriptName, pathInfo), 200, null);
        }

        return new Result(null, 404, "the path names a directory, not a dynamic app");
    }

    /// <summary>Whether an app path (from a queue record) is a startable dynamic app under one of the roots.</summary>
    public static Result Check(IReadOnlyList<DynamicRootConfig> roots, string appPath)
    {
        foreach (var root in roots)
        {
            var prefix = root.Directory.TrimEnd('/') + "/";
            if (appPath.StartsWith(prefix, StringComparison.Ordinal))
            {
                var result = Resolve(root, root.UrlPrefix.TrimEnd('/') + "/" + appPath[prefix.Length..]);
                if (result.Script is { } s && s.AppPath == appPath && s.PathInfo.Length == 0)
                {
                    return result;
                }

                return result.Script is null ? result : new Result(null, 403, $"{appPath} is not itself a dynamic app");
            }
        }

        return new Result(null, 403, $"{appPath} is not under any PmDynamicRoot");
    }

    public static bool HasPrefix(string path, string prefix) =>
        prefix == "/" || path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal) ||
        (prefix.EndsWith('/') && path.StartsWith(prefix, StringComparison.Ordinal));

    private static string? RealPath(string path) => Posix.RealPath.Of(path);
}
