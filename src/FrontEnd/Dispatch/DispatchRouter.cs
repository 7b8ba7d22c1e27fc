using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Dynamic;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// Chooses the app for a FastCGI request from its params, in this order:
/// <list type="number">
/// <item><c>PM_APP</c> (set with nginx's <c>fastcgi_param PM_APP /srv/app/hello.fcgi;</c>): the static or external
/// app of that path, as the config names it; another value is a 404, never a fall-through.</item>
/// <item><c>SCRIPT_FILENAME</c> (without it, <c>DOCUMENT_ROOT</c> + <c>SCRIPT_NAME</c>, which Debian's stock
/// fastcgi_params send) equal to a static or external app's path: that app.</item>
/// <item><c>SCRIPT_FILENAME</c> under a <c>PmDynamicRoot</c>'s directory (the longest that holds it): the dynamic app
/// it names, by the rules HTTP requests follow (<see cref="DynamicScriptResolver"/>): a handler extension, an
/// executable file, no '.' or '..' segment, no symbolic link out of the root; else 403 or 404.</item>
/// <item>Anything else: 404.</item>
/// </list>
/// Apache's mod_proxy_fcgi sends SCRIPT_FILENAME as <c>proxy:fcgi://HOST/PATH</c>: the scheme and host are cut off
/// first, as php-fpm does.
/// </summary>
internal sealed class DispatchRouter
{
    public const string AppParameter = "PM_APP";

    private const string ScriptFileName = "SCRIPT_FILENAME";
    private const string DocumentRoot = "DOCUMENT_ROOT";
    private const string ScriptName = "SCRIPT_NAME";

    private readonly Dictionary<string, AppBackend> _apps = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<DynamicRootConfig> _roots;
    private readonly ResolvedScripts _scripts;

    public DispatchRouter(IEnumerable<AppBackend> apps, IReadOnlyList<DynamicRootConfig> roots, TimeProvider time)
    {
        foreach (var app in apps)
        {
            _apps[app.Name] = app;
        }

        _roots = roots;

        // A cache of its own: its keys are paths made from SCRIPT_FILENAME, which the HTTP side's cache must not
        // mistake for URLs of another root.
        _scripts = new ResolvedScripts(time);
    }

    public DispatchTarget Choose(FastCgiParams parameters)
    {
        if (parameters.TryGetValue(AppParameter, out var name) && name.Length > 0)
        {
            return _apps.TryGetValue(name, out var named)
                ? DispatchTarget.To(named)
                : DispatchTarget.Refused(404, $"{AppParameter} {name} names no static or external app of the config");
        }

        if (!parameters.TryGetValue(ScriptFileName, out var given) || given.Length == 0)
        {
            // Debian's stock fastcgi_params sends no SCRIPT_FILENAME, but DOCUMENT_ROOT and SCRIPT_NAME, which
            // nginx's fastcgi.conf joins into it ($document_root$fastcgi_script_name): join them the same way.
            if (parameters.GetValue(DocumentRoot) is not { Length: > 0 } documentRoot || parameters.GetValue(ScriptName) is not { Length: > 0 } scriptName)
            {
                return DispatchTarget.Refused(404, $"the request has neither {ScriptFileName}, nor {DocumentRoot} and {ScriptName}, nor {AppParameter}");
            }

            given = documentRoot.TrimEnd('/') + (scriptName.StartsWith('/') ? scriptName : "/" + scriptName);
        }

        var file = WithoutProxyPrefix(given);
        if (_apps.TryGetValue(file, out var app))
        {
            return DispatchTarget.To(app);
        }

        if (RootOf(file) is not { } root)
        {
            return DispatchTarget.Refused(404, $"{ScriptFileName} {file} is under no PmDynamicRoot and is no static or external app");
        }

        var rest = file[(root.Directory.TrimEnd('/').Length + 1)..];
        var urlPath = root.UrlPrefix == "/" ? "/" + rest : root.UrlPrefix.TrimEnd('/') + "/" + rest;
        var resolved = _scripts.Resolve(root, urlPath);
        return resolved.Script is { } script ? DispatchTarget.To(script) : DispatchTarget.Refused(resolved.Status, resolved.Problem!);
    }

    /// <summary>"proxy:fcgi://localhost/srv/x.fcgi" (Apache mod_proxy_fcgi) → "/srv/x.fcgi"; other values unchanged.</summary>
    public static string WithoutProxyPrefix(string scriptFileName)
    {
        if (!scriptFileName.StartsWith("proxy:", StringComparison.Ordinal))
        {
            return scriptFileName;
        }

        var scheme = scriptFileName.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return scriptFileName;
        }

        var path = scriptFileName.IndexOf('/', scheme + 3);
        return path < 0 ? "" : scriptFileName[path..];
    }

    private DynamicRootConfig? RootOf(string file)
    {
        DynamicRootConfig? best = null;
        foreach (var root in _roots)
        {
            var directory = root.Directory.TrimEnd('/');
            if (file.Length > directory.Length + 1 && file[directory.Length] == '/' && file.StartsWith(directory, StringComparison.Ordinal)
                && (best is null || directory.Length > best.Directory.TrimEnd('/').Length))
            {
                best = root;
            }
        }

        return best;
    }
}
