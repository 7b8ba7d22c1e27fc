using Microsoft.AspNetCore.Http;
using Pm.Config;
using Pm.FrontEnd.Apps;

namespace Pm.FrontEnd.Cgi;

/// <summary>
/// Maps a request path under an app's URL prefix to what serves it.
/// <list type="bullet">
/// <item>Without -document-root the app is the script: SCRIPT_NAME is the prefix, PATH_INFO the rest, and
/// SCRIPT_FILENAME the app's own path.</item>
/// <item>With -document-root (php-cgi) the path after the prefix names a file under the root, found the way Apache
/// finds a CGI script: the first segment that is a file is the script (`/php/a/index.php/x` → SCRIPT_FILENAME
/// ROOT/a/index.php, PATH_INFO /x). Only a file whose name ends with one of -extensions is a script; any other file is
/// a static file (or 404 with -static off), and a path going on after it is 404: `/up/evil.txt/x.php` must not run
/// evil.txt, the hole that php-fpm's security.limit_extensions closes. A directory is redirected to its slash URL,
/// then stands for its first existing -index file (403 when none exists, as nginx without autoindex).</item>
/// </list>
/// Refused, whatever the extension: "." and ".." segments and NUL (403); hidden names, a segment starting with '.'
/// (.htaccess, .env, .git: what a document root holds but never publishes), except .well-known (RFC 8615), 403; a file
/// that a symbolic link takes outside the root (403); anything but a regular file or directory (404).
/// </summary>
public static class ScriptMapper
{
    /// <summary>
    /// The outcome: a script target; a static file's real path (<see cref="File"/>); a redirect's URL path
    /// (<see cref="Location"/>, without the query); or a refusal's status (403, 404) and reason for the log.
    /// </summary>
    public readonly record struct Result(MappedKind Kind, ScriptTarget Target, int Status, string? Problem, string? File = null, string? Location = null);

    private const string WellKnown = ".well-known";

    public static Result Map(AppBackend app, string prefix, string path)
    {
        var scriptName = prefix == "/" ? string.Empty : prefix;
        var rest = path.Length > scriptName.Length ? path[scriptName.Length..] : string.Empty;
        if (app.DocumentRoot is not { } root)
        {
            return new Result(MappedKind.Script, new ScriptTarget(scriptName, rest, app.Name, null), 200, null);
        }

        var rules = app.DocumentRootRules;
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments)
        {
            if (segment is "." or ".." || segment.Contains('\0'))
            {
                return Refuse(403, "the path contains '.' or '..' segments");
            }

            if (segment[0] == '.' && segment != WellKnown)
            {
                return Refuse(403, $"'{segment}' is a hidden name (dotfiles are never served)");
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

            if (!System.IO.File.Exists(current))
            {
                return Refuse(404, $"{current} does not exist");
            }

            var scriptUrl = scriptName + "/" + string.Join('/', segments, 0, i + 1);
            if (i + 1 < segments.Length && !rules.IsScript(segments[i]))
            {
                return Refuse(404, $"{current} is not a script ({string.Join(", ", rules.Extensions)}), so nothing may follow it in the path");
            }

            var pathInfo = i + 1 < segments.Length
                ? "/" + string.Join('/', segments, i + 1, segments.Length - i - 1) + (rest.EndsWith('/') ? "/" : string.Empty)
                : string.Empty;
            return File(app, rules, root, current, scriptUrl, pathInfo);
        }

        // The path names a directory: the slash URL first, then its index.
        var directoryUrl = scriptName + "/" + string.Join('/', segments) + (segments.Length > 0 ? "/" : string.Empty);
        if (!rest.EndsWith('/'))
        {
            return new Result(MappedKind.Redirect, default, 301, null, Location: new PathString(directoryUrl).ToUriComponent());
        }

        foreach (var index in rules.IndexFiles)
        {
            var candidate = Path.Join(current, index);
            if (System.IO.File.Exists(candidate))
            {
                return File(app, rules, root, candidate, directoryUrl + index, string.Empty);
            }
        }

        return Refuse(403, $"the directory {current} has no index file ({string.Join(", ", rules.IndexFiles)})");
    }

    private static Result File(AppBackend app, DocumentRootRules rules, string root, string file, string scriptUrl, string pathInfo)
    {
        var real = Posix.RealPath.Of(file);
        var rootReal = app.DocumentRootReal!;
        if (real is null || !(real.StartsWith(rootReal, StringComparison.Ordinal) &&
                              (real.Length == rootReal.Length || real[rootReal.Length] == '/' || rootReal == "/")))
        {
            return Refuse(403, $"{file} leads outside the document root {root}");
        }

        if (Posix.PosixFile.StatPathNoFollow(real) is not { Kind: Posix.FileKind.RegularFile })
        {
            return Refuse(404, $"{file} is not a regular file");
        }

        if (rules.IsScript(Path.GetFileName(file)))
        {
            return new Result(MappedKind.Script, new ScriptTarget(scriptUrl, pathInfo, file, root), 200, null);
        }

        return rules.StaticFiles
            ? new Result(MappedKind.StaticFile, default, 200, null, File: real)
            : Refuse(404, $"{file} is not a script ({string.Join(", ", rules.Extensions)}) and -static is off");
    }

    private static Result Refuse(int status, string problem) => new(MappedKind.Refused, default, status, problem);
}
