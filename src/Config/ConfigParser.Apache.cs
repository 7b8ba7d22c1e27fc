using System.Text.RegularExpressions;

namespace Pm.Config;

/// <summary>
/// The lines of Apache's core that a mod_fastcgi config stands on: Alias and ScriptAlias (where an app or a
/// directory is in URL space), AddHandler/SetHandler fastcgi-script (which files are FastCGI apps), AddType and
/// Action (php-cgi behind a handler), Options ExecCGI and DocumentRoot. They are only collected here, with the
/// section each sits in; <c>ConfigParser.Mounts.cs</c> decides what they mount once every app is known.
/// </summary>
public sealed partial class ConfigParser
{
    private readonly List<ApacheAlias> _aliases = [];
    private readonly List<FastCgiHandler> _handlers = [];
    private readonly List<ScriptTypeMapping> _mappings = [];
    private readonly List<ApacheAction> _actions = [];
    private readonly HashSet<string> _execCgiDirs = new(StringComparer.Ordinal);

    // DocumentRoot per <VirtualHost> tag (null: the server's own); it gives a URL to directories under it.
    private readonly Dictionary<Directive, string> _vhostRoots = new(ReferenceEqualityComparer.Instance);
    private string? _serverRoot;
    private readonly List<Directive> _documentRoots = [];

    private void ReadAlias(Directive d, bool script)
    {
        if (!ServerWide(d))
        {
            return;
        }

        if (d.Arguments.Count != 2)
        {
            Error(d, "takes a URL prefix and a path (the one-argument form inside <Location> names nothing Pm can mount)");
            return;
        }

        if (NormalizePrefix(d, d.Arguments[0]) is { } url)
        {
            _aliases.Add(new ApacheAlias(url, DirectoryKey(d.Arguments[1]), script, d));
        }
    }

    private void ReadAddHandler(Directive d)
    {
        if (d.Arguments.Count < 2)
        {
            Error(d, "takes a handler and one or more file extensions");
            return;
        }

        var (scope, path) = ScopeOf(d);
        var extensions = d.Arguments.Skip(1).Select(e => "." + e.TrimStart('.')).ToList();
        AddHandlerOrMapping(d, d.Arguments[0], extensions, scope, path);
    }

    private void ReadSetHandler(Directive d)
    {
        if (d.Arguments.Count != 1)
        {
            Error(d, "takes one handler");
            return;
        }

        var (scope, path) = ScopeOf(d);
        IReadOnlyList<string>? extensions = null;
        if ((d.Section?.Nearest("Files") ?? d.Section?.Nearest("FilesMatch")) is { } files)
        {
            extensions = FilesExtensions(files);
            if (extensions is null)
            {
                Notice(d, $"ignored: Apache directive SetHandler in {files}: Pm maps only '*.ext' and '\\.(ext|ext)$' patterns to file extensions");
                return;
            }
        }

        AddHandlerOrMapping(d, d.Arguments[0], extensions, scope, path);
    }

    private void AddHandlerOrMapping(Directive d, string handler, IReadOnlyList<string>? extensions, HandlerScope scope, string? path)
    {
        if (ApacheVocabulary.IsFastCgiHandler(handler))
        {
            _handlers.Add(new FastCgiHandler(scope, path, extensions, d));
        }
        else if (handler.Equals("cgi-script", StringComparison.OrdinalIgnoreCase))
        {
            Notice(d, $"ignored: Apache directive {d.Name} cgi-script: Pm runs FastCGI apps, not CGI scripts (AddHandler fastcgi-script .fcgi makes them dynamic apps)");
        }
        else
        {
            _mappings.Add(new ScriptTypeMapping(handler, extensions, scope, path, d));
        }
    }

    private void ReadAddType(Directive d)
    {
        if (d.Arguments.Count < 2)
        {
            Error(d, "takes a MIME type and one or more file extensions");
            return;
        }

        var (scope, path) = ScopeOf(d);
        _mappings.Add(new ScriptTypeMapping(d.Arguments[0], d.Arguments.Skip(1).Select(e => "." + e.TrimStart('.')).ToList(), scope, path, d));
    }

    private void ReadAction(Directive d)
    {
        if (d.Arguments.Count is < 2 or > 3)
        {
            Error(d, "takes a handler or MIME type, a URL and optionally 'virtual'");
            return;
        }

        if (NormalizePrefix(d, d.Arguments[1]) is { } url)
        {
            _actions.Add(new ApacheAction(d.Arguments[0], url, d));
        }
    }

    /// <summary>Options: only ExecCGI means something to Pm (server-wide handlers apply to an Alias'd directory with it).</summary>
    private void ReadOptions(Directive d)
    {
        var (scope, path) = ScopeOf(d);
        var others = new List<string>();
        foreach (var word in d.Arguments)
        {
            var name = word.TrimStart('+', '-');
            if (scope == HandlerScope.Directory && (name.Equals("ExecCGI", StringComparison.OrdinalIgnoreCase) || name.Equals("All", StringComparison.OrdinalIgnoreCase)))
            {
                if (word.StartsWith('-'))
                {
                    _execCgiDirs.Remove(path!);
                }
                else
                {
                    _execCgiDirs.Add(path!);
                }
            }
            else
            {
                others.Add(word);
            }
        }

        if (others.Count > 0)
        {
            Notice(d, $"ignored: Apache directive Options {string.Join(' ', others)}: Pm reads only ExecCGI from Options, in a <Directory>");
        }
    }

    private void ReadDocumentRoot(Directive d)
    {
        if (!ServerWide(d))
        {
            return;
        }

        if (d.Arguments.Count != 1)
        {
            Error(d, "takes one directory");
            return;
        }

        var dir = DirectoryKey(d.Arguments[0]);
        if (d.Section?.Nearest("VirtualHost") is { } vhost)
        {
            _vhostRoots[vhost.Tag] = dir;
        }
        else
        {
            _serverRoot = dir;
        }

        _documentRoots.Add(d);
    }

    /// <summary>
    /// The DocumentRoot that applies where <paramref name="d"/> sits: its &lt;VirtualHost&gt;'s, else the server's, else
    /// the one every &lt;VirtualHost&gt; agrees on: Pm serves one site, and a conf.d snippet (php-cgi's AddHandler and
    /// Action) is meant for the site its vhost file defines.
    /// </summary>
    private string? DocumentRootFor(Directive d)
    {
        if (d.Section?.Nearest("VirtualHost") is { } vhost && _vhostRoots.TryGetValue(vhost.Tag, out var own))
        {
            return own;
        }

        if (_serverRoot is not null)
        {
            return _serverRoot;
        }

        var all = _vhostRoots.Values.Distinct(StringComparer.Ordinal).ToList();
        return all.Count == 1 ? all[0] : null;
    }

    /// <summary>Alias, ScriptAlias and DocumentRoot are server-wide in Apache ("not allowed here" inside a &lt;Directory&gt;).</summary>
    private bool ServerWide(Directive d)
    {
        if (d.Section is { } s && (s.Nearest("Directory") ?? s.Nearest("Location") ?? s.Nearest("Files") ?? s.Nearest("FilesMatch")) is { } scope)
        {
            Error(d, $"not allowed inside {scope} (line {scope.Tag.Line}); Apache allows it at top level or in a <VirtualHost>");
            return false;
        }

        return true;
    }

    private (HandlerScope Scope, string? Path) ScopeOf(Directive d)
    {
        if (d.Section?.Nearest("Directory") is { } dir)
        {
            return (HandlerScope.Directory, DirectoryKey(dir.Argument));
        }

        if (d.Section?.Nearest("Location") is { } location)
        {
            var url = location.Argument;
            return (HandlerScope.Location, url.Length > 1 ? url.TrimEnd('/') : url);
        }

        return (HandlerScope.Server, null);
    }

    /// <summary>An absolute path without a trailing '/', as directories and app paths are compared.</summary>
    private string DirectoryKey(string path)
    {
        var full = Resolve(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    /// <summary>
    /// The extensions a &lt;Files&gt; or &lt;FilesMatch&gt; pattern stands for, when it is one of the forms configs use
    /// (<c>*.fcgi</c>, <c>~ "\.fcgi$"</c>, <c>"\.(fcgi|fpl)$"</c>); null for any other pattern.
    /// </summary>
    internal static IReadOnlyList<string>? FilesExtensions(ConfigSection files)
    {
        var args = files.Arguments;
        var regex = files.Name.Equals("FilesMatch", StringComparison.OrdinalIgnoreCase) || (args.Count == 2 && args[0] == "~");
        var pattern = args.Count == 0 ? "" : args[^1];
        var match = regex ? ExtensionRegex().Match(pattern) : ExtensionGlob().Match(pattern);
        return match.Success ? match.Groups["ext"].Value.Split('|').Select(e => "." + e).ToList() : null;
    }

    [GeneratedRegex(@"^\^?(\.\*|\.\+)?\\\.(\((\?:)?)?(?<ext>[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*)\)?\$$")]
    private static partial Regex ExtensionRegex();

    [GeneratedRegex(@"^\*\.(?<ext>[A-Za-z0-9_]+)$")]
    private static partial Regex ExtensionGlob();
}
