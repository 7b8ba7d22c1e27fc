using Pm.FrontEnd.Apps;

namespace Pm.FrontEnd.Cgi;

/// <summary>
/// Splits a request path under an app's URL prefix into SCRIPT_NAME and PATH_INFO.
/// <list type="bullet">
/// <item>Without -document-root the app is the script: SCRIPT_NAME is the prefix, PATH_INFO the rest, and
/// SCRIPT_FILENAME the app's own path.</item>
/// <item>With -document-root (php-cgi) the path after the prefix names a file under the root, found the way Apache
/// finds a CGI script: the first segment that is a file is the script (`/php/a/index.php/x` →
/// SCRIPT_FILENAME ROOT/a/index.php, PATH_INFO /x). "." and ".." segments are refused, and so is a script that a
/// symbolic link takes outside the root; a path that names no file under the root is not found.</item>
/// </list>
/// </summary>
public static class ScriptMapper
{
    /// <summary>The outcome: a target, or an HTTP status (403, 404) with the reason for the log.</summary>
    public readonly record struct Result(ScriptTarget Target, int Status, string? Problem);

    public static Result Map(AppBackend app, string prefix, string path)
    {
        var scriptName = prefix == "/" ? string.Empty : prefix;
        var rest = path.Length > scriptName.Length ? path[scriptName.Length..] : string.Empty;
        if (app.DocumentRoot is not { } root)
        {
            return new Result(new ScriptTarget(scriptName, rest, app.Name, null), 200, null);
        }

        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments)
        {
            if (segment is "." or ".." || segment.Contains('\0'))
            {
                return new Result(default, 403, "the path contains '.' or '..' segments");
            }
        }

        var current = root;
        for (var i = 0; i < segments.Length; i++)
        {
            current = Path.Join(current, segments[i]);
            if (Directory.Exists(current))
            {
                continue;
            }

            if (!File.Exists(current))
            {
                return new Result(default, 404, $"{current} does not exist");
            }

            var real = Posix.RealPath.Of(current);
            var rootReal = app.DocumentRootReal!;
            if (real is null || !(real.StartsWith(rootReal, StringComparison.Ordinal) &&
                                  (real.Length == rootReal.Length || real[rootReal.Length] == '/' || rootReal == "/")))
            {
                return new Result(default, 403, $"{current} leads outside the document root {root}");
            }

            var script = scriptName + "/" + string.Join('/', segments, 0, i + 1);
            var pathInfo = i + 1 < segments.Length
                ? "/" + string.Join('/', segments, i + 1, segments.Length - i - 1) + (rest.EndsWith('/') ? "/" : string.Empty)
                : string.Empty;
            return new Result(new ScriptTarget(script, pathInfo, current, root), 200, null);
        }

        return new Result(default, 404, "the path names a directory under the document root, not a script");
    }
}
