namespace Pm.Config;

/// <summary>
/// What the collected Apache lines mount, decided once every app is known, in Apache's terms:
/// <list type="number">
/// <item>An Alias or ScriptAlias to a FastCgiServer/FastCgiExternalServer path mounts that app at its URL; one to a
/// directory holding the app mounts it at the URL plus the rest of its path (ScriptAlias /fcgi-bin/ and
/// FastCgiServer /usr/lib/cgi-bin/php-cgi: /fcgi-bin/php-cgi); without either, an app under the DocumentRoot is at
/// its path there. An app's own -url wins over all three.</item>
/// <item>An Action whose URL is such an app's, for a handler or type that AddHandler/AddType/SetHandler gives the
/// files of a directory with a URL, mounts the app at that directory's URL with it as -document-root (php-cgi).</item>
/// <item>An Alias'd or ScriptAlias'd directory that a fastcgi-script handler covers (in its &lt;Directory&gt;, a
/// &lt;Directory&gt; above it, its &lt;Location&gt;, or server-wide for a ScriptAlias or an Options ExecCGI directory)
/// is a dynamic root for the handler's extensions, or for every file under SetHandler. A &lt;Directory&gt; with a
/// handler and no Alias gets its URL from the DocumentRoot it is under.</item>
/// </list>
/// What gives nothing a URL is a notice that says so, never an error: Apache would have served it some other way.
/// </summary>
public sealed partial class ConfigParser
{
    // Roots made from Apache lines, by URL: the same directory reached twice (alternative <IfModule> blocks, two
    // <VirtualHost>s, AddHandler .fcgi and AddHandler .fpl on two lines) is one root with both extensions.
    private readonly Dictionary<string, int> _derivedRoots = new(StringComparer.Ordinal);

    private readonly Dictionary<string, (string Url, string? DocumentRoot, Directive From)> _appMounts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedDocumentRoots = new(StringComparer.Ordinal);

    private void DeriveMounts()
    {
        var given = _statics.Where(a => a.UrlPrefix is not null).Select(a => (a.Path, Url: a.UrlPrefix!, a.Source))
            .Concat(_externals.Where(a => a.UrlPrefix is not null).Select(a => (a.Path, Url: a.UrlPrefix!, a.Source)))
            .ToDictionary(a => a.Path, a => (a.Url, a.Source), StringComparer.Ordinal);
        var apps = _statics.Select(a => a.Path).Concat(_externals.Select(a => a.Path)).ToHashSet(StringComparer.Ordinal);
        var usedAliases = new HashSet<ApacheAlias>(ReferenceEqualityComparer.Instance);

        foreach (var alias in _aliases.Where(a => apps.Contains(a.Target)))
        {
            usedAliases.Add(alias);
            MountApp(alias.Target, alias.Url, null, alias.Directive, given);
        }

        foreach (var app in apps.Where(p => !given.ContainsKey(p) && !_appMounts.ContainsKey(p)))
        {
            if (_aliases.Where(a => !apps.Contains(a.Target) && IsUnder(app, a.Target)).MaxBy(a => a.Target.Length) is { } alias)
            {
                usedAliases.Add(alias);
                MountApp(app, Join(alias.Url, app[alias.Target.Length..]), null, alias.Directive, given);
            }
        }

        // An app under the DocumentRoot is at its path there, as Apache finds it (Redmine's public/dispatch.fcgi).
        foreach (var app in apps.Where(p => !given.ContainsKey(p) && !_appMounts.ContainsKey(p)))
        {
            if (DocumentRootFor(_appDirectives[app]) is { } root && IsUnder(app, root) && app != root)
            {
                _usedDocumentRoots.Add(root);
                MountApp(app, Join("/", app[root.Length..]), null, _appDirectives[app], given);
            }
        }

        var usedMappings = ReadActions(given);
        FinishAppMounts();
        var usedHandlers = MountDirectories(apps, usedAliases);
        ReportUnused(usedMappings, usedHandlers, given);
    }

    private void MountApp(string app, string url, string? documentRoot, Directive from, Dictionary<string, (string Url, ConfigSource Source)> given)
    {
        if (given.TryGetValue(app, out var own))
        {
            if (own.Url != url)
            {
                Notice(from, $"ignored: Apache directive {from.Name} {url}: {app} has -url {own.Url} ({own.Source}), which wins; Pm gives an app one URL");
            }

            return;
        }

        if (_appMounts.TryGetValue(app, out var before) && documentRoot is null)
        {
            Notice(from, $"ignored: Apache directive {from.Name} {url}: {app} is already at {before.Url} (line {before.From.Line}); Pm gives an app one URL");
            return;
        }

        _appMounts[app] = (url, documentRoot, from);
    }

    /// <summary>Action + AddHandler/AddType: the app at the Action's URL serves the scripts of the handler's directory.</summary>
    private HashSet<ScriptTypeMapping> ReadActions(Dictionary<string, (string Url, ConfigSource Source)> given)
    {
        var used = new HashSet<ScriptTypeMapping>(ReferenceEqualityComparer.Instance);
        const string Instead = "Pm gives php-cgi its scripts with FastCgiServer /usr/bin/php-cgi -url /PREFIX -document-root DIR";
        foreach (var action in _actions)
        {
            var app = _appMounts.FirstOrDefault(m => m.Value.Url == action.Url).Key
                ?? given.FirstOrDefault(g => g.Value.Url == action.Url).Key;
            var mappings = _mappings.Where(m => m.Name.Equals(action.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            var mapping = mappings.FirstOrDefault();
            var dir = mapping?.Scope switch
            {
                HandlerScope.Directory => mapping.Path,
                HandlerScope.Server => DocumentRootFor(mapping.Directive),
                _ => null,
            };
            var url = dir is null ? null : UrlFor(dir, mapping!.Directive);
            var problem = app is null ? $"no FastCgiServer or FastCgiExternalServer is at {action.Url} (an Alias or ScriptAlias to its path gives it that URL)"
                : mapping is null ? $"no AddHandler, AddType or SetHandler names {action.Name}"
                : dir is null ? $"{mapping.Directive.Name} at line {mapping.Directive.Line} is in no <Directory> and no DocumentRoot applies, so the scripts' directory is unknown"
                : url is null ? $"no Alias or DocumentRoot gives {dir} a URL"
                : given.ContainsKey(app) ? $"{app} has its own -url, which wins"
                : null;
            if (problem is not null)
            {
                Notice(action.Directive, $"ignored: Apache directive Action {action.Name} {action.Url}: {problem}; {Instead}");
                continue;
            }

            used.UnionWith(mappings);
            MountApp(app!, url!, dir, action.Directive, given);
            var extensions = mapping!.Extensions is { } e ? string.Join(' ', e) : "every file";
            Notice(action.Directive, $"Action {action.Name} {action.Url}: {app} serves the scripts under {dir} at {url} (-url {url} -document-root {dir}); " +
                $"it is handed every file named there, not only {extensions}: php-cgi runs any file it is given, so keep only scripts in {dir}");
        }

        return used;
    }

    private void FinishAppMounts()
    {
        foreach (var (app, (url, documentRoot, from)) in _appMounts)
        {
            if (!UniqueUrl(from, url, _seenUrls))
            {
                continue;
            }

            var i = _statics.FindIndex(s => s.Path == app);
            if (i >= 0)
            {
                _statics[i] = _statics[i] with { UrlPrefix = url, DocumentRoot = documentRoot ?? _statics[i].DocumentRoot };
                continue;
            }

            var j = _externals.FindIndex(s => s.Path == app);
            _externals[j] = _externals[j] with { UrlPrefix = url, DocumentRoot = documentRoot ?? _externals[j].DocumentRoot };
        }
    }

    /// <summary>The dynamic roots: Alias'd directories a fastcgi-script handler covers, then &lt;Directory&gt; handlers under a DocumentRoot.</summary>
    private HashSet<FastCgiHandler> MountDirectories(HashSet<string> apps, HashSet<ApacheAlias> usedAliases)
    {
        var used = new HashSet<FastCgiHandler>(ReferenceEqualityComparer.Instance);
        foreach (var alias in _aliases.Where(a => !apps.Contains(a.Target)))
        {
            var chosen = HandlersFor(alias);
            if (chosen.Count == 0)
            {
                if (!usedAliases.Contains(alias))
                {
                    Notice(alias.Directive, alias.Script
                        ? $"ignored: Apache directive ScriptAlias {alias.Url}: the files under {alias.Target} are CGI scripts to Apache, and Pm runs FastCGI apps only; AddHandler fastcgi-script .fcgi in <Directory {alias.Target}> makes it a dynamic root"
                        : $"ignored: Apache directive Alias {alias.Url}: {alias.Target} is neither a FastCGI app nor a directory a fastcgi-script handler covers, and Pm serves no static files");
                }

                continue;
            }

            used.UnionWith(chosen);
            AddDerivedRoot(alias.Directive, alias.Url, alias.Target, Extensions(chosen));
        }

        foreach (var h in _handlers.Where(h => h.Scope == HandlerScope.Directory && !used.Contains(h)))
        {
            // The handler that has Apache hand a FastCgiServer in that directory to mod_fastcgi: Pm mounts the app itself.
            if (_appMounts.Keys.Any(app => IsUnder(app, h.Path!)))
            {
                used.Add(h);
            }
            else if (UrlFor(h.Path!, h.Directive) is { } url)
            {
                used.Add(h);
                AddDerivedRoot(h.Directive, url, h.Path!, h.Extensions);
            }
        }

        var serverWide = _handlers.Where(h => h.Scope == HandlerScope.Server).ToList();
        foreach (var dir in _execCgiDirs.Where(d => serverWide.Count > 0 && _roots.All(r => r.Directory != d)))
        {
            if (UrlFor(dir, serverWide[0].Directive) is { } url)
            {
                used.UnionWith(serverWide);
                AddDerivedRoot(serverWide[0].Directive, url, dir, Extensions(serverWide));
            }
        }

        return used;
    }

    /// <summary>The most specific fastcgi-script handlers that cover an Alias'd directory, as Apache merges them.</summary>
    private List<FastCgiHandler> HandlersFor(ApacheAlias alias)
    {
        var inDirectory = _handlers.Where(h => h.Scope == HandlerScope.Directory && IsUnder(alias.Target, h.Path!)).ToList();
        if (inDirectory.Count > 0)
        {
            var deepest = inDirectory.Max(h => h.Path!.Length);
            return inDirectory.Where(h => h.Path!.Length == deepest).ToList();
        }

        var inLocation = _handlers.Where(h => h.Scope == HandlerScope.Location && DynamicScriptResolver.HasPrefix(alias.Url, h.Path!)).ToList();
        if (inLocation.Count > 0)
        {
            var deepest = inLocation.Max(h => h.Path!.Length);
            return inLocation.Where(h => h.Path!.Length == deepest).ToList();
        }

        // Server-wide handlers reach only directories where Apache runs programs: ScriptAlias'd, or with Options ExecCGI.
        var runs = alias.Script || _execCgiDirs.Any(d => IsUnder(alias.Target, d));
        return runs ? _handlers.Where(h => h.Scope == HandlerScope.Server).ToList() : [];
    }

    private static IReadOnlyList<string>? Extensions(IEnumerable<FastCgiHandler> handlers)
    {
        var all = handlers.ToList();
        return all.Any(h => h.Extensions is null) ? null : all.SelectMany(h => h.Extensions!).Distinct(StringComparer.Ordinal).ToList();
    }

    private void AddDerivedRoot(Directive from, string url, string dir, IReadOnlyList<string>? extensions)
    {
        if (_derivedRoots.TryGetValue(url, out var i) && _roots[i].Directory == dir)
        {
            var root = _roots[i];
            var merged = root.RunsEveryFile || extensions is null ? [] : root.HandlerExtensions.Concat(extensions).Distinct(StringComparer.Ordinal).ToList();
            _roots[i] = root with { HandlerExtensions = merged };
            return;
        }

        if (BuildDerivedRoot(from, url, dir, extensions ?? []) is { } r && UniqueUrl(from, url, _seenUrls))
        {
            _derivedRoots[url] = _roots.Count;
            _roots.Add(r);
        }
    }

    /// <summary>A directory's URL: through the Alias of it or of a directory above it, else the DocumentRoot it is under.</summary>
    private string? UrlFor(string dir, Directive where)
    {
        if (_aliases.Where(a => IsUnder(dir, a.Target) && Directory.Exists(a.Target)).MaxBy(a => a.Target.Length) is { } alias)
        {
            return Join(alias.Url, dir[alias.Target.Length..]);
        }

        if (DocumentRootFor(where) is { } root && IsUnder(dir, root))
        {
            _usedDocumentRoots.Add(root);
            return Join("/", dir[root.Length..]);
        }

        return null;
    }

    private void ReportUnused(HashSet<ScriptTypeMapping> usedMappings, HashSet<FastCgiHandler> usedHandlers, Dictionary<string, (string Url, ConfigSource Source)> given)
    {
        var urls = _appMounts.Values.Select(m => m.Url).Concat(given.Values.Select(g => g.Url)).ToList();
        foreach (var h in _handlers.Where(h => !usedHandlers.Contains(h)))
        {
            var why = h.Scope switch
            {
                HandlerScope.Directory => $"no Alias, ScriptAlias or DocumentRoot gives {h.Path} a URL; add 'Alias /URL {h.Path}', or PmDynamicRoot /URL {h.Path}",
                HandlerScope.Location when urls.Any(u => DynamicScriptResolver.HasPrefix(u, h.Path!)) => null, // it names a mounted app
                HandlerScope.Location => $"no Alias or ScriptAlias maps <Location {h.Path}> to a directory",
                _ => "it reaches no ScriptAlias'd directory and no <Directory> with Options ExecCGI that has a URL",
            };
            if (why is not null)
            {
                Notice(h.Directive, $"ignored: Apache directive {h.Directive.Name} {h.Directive.Arguments[0]}: {why}");
            }
        }

        foreach (var m in _mappings.Where(m => !usedMappings.Contains(m)))
        {
            Notice(m.Directive, $"ignored: Apache directive {m.Directive.Name} {m.Name}: no Action hands it to a FastCGI app that Pm mounts");
        }

        foreach (var d in _documentRoots.Where(d => !_usedDocumentRoots.Contains(DirectoryKey(d.Arguments[0]))))
        {
            Notice(d, "ignored: Apache directive DocumentRoot: Pm serves no static files, and no FastCGI directory or script under it needed its URL");
        }
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="dir"/> or lies under it.</summary>
    private static bool IsUnder(string path, string dir) =>
        path == dir || dir == "/" || path.StartsWith(dir + "/", StringComparison.Ordinal);

    private static string Join(string url, string rest) =>
        url == "/" ? (rest.Length == 0 ? "/" : rest) : url + rest;
}
