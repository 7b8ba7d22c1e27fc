using System.Globalization;

namespace Pm.Config;

/// <summary>
/// Turns directives into a <see cref="PmConfig"/>. Every error is collected with its file, line and directive,
/// so `pm check-config` can report them all at once; nothing is started from a config with errors.
/// Relative paths are taken relative to the config file's directory.
/// </summary>
public sealed class ConfigParser
{
    private static readonly string[] TransparentModules = ["mod_fastcgi.c", "fastcgi_module", "mod_fastcgi"];

    private readonly List<ConfigError> _errors = [];
    private readonly string _file;
    private readonly string _baseDir;

    private ConfigParser(string file)
    {
        _file = file;
        _baseDir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";
    }

    public static PmConfig ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(path, 0, "", $"cannot read the config file: {e.Message}")]);
        }

        return ParseText(path, text);
    }

    public static PmConfig ParseText(string file, string text)
    {
        var parser = new ConfigParser(file);
        var directives = DirectiveReader.Read(file, text, parser._errors);
        var config = parser.Build(directives);
        if (parser._errors.Count > 0)
        {
            throw new ConfigException(parser._errors);
        }

        return config;
    }

    private void Error(Directive d, string message) => _errors.Add(new ConfigError(d.File, d.Line, d.Name, message));

    private string Resolve(string path) => Path.GetFullPath(Path.Combine(_baseDir, path));

    private PmConfig Build(IReadOnlyList<Directive> all)
    {
        var directives = FilterContainers(all);

        string? ipcDir = null;
        string? wrapper = null;
        string? listen = null;
        int? webProcesses = null;
        TimeSpan? shutdown = null;
        string? queueGroup = null;
        Directive? dynamicDirective = null;

        // First pass: the globals that later directives depend on (mod_fastcgi required FastCgiIpcDir first;
        // Pm accepts it anywhere).
        foreach (var d in directives)
        {
            switch (d.Name.ToLowerInvariant())
            {
                case "fastcgiipcdir":
                    if (Single(d, ref ipcDir, "a directory") is { } dir)
                    {
                        ipcDir = Resolve(dir);
                    }

                    break;
                case "fastcgiwrapper":
                    if (Single(d, ref wrapper, "On, Off or a path") is { } w)
                    {
                        wrapper = w.ToLowerInvariant() switch
                        {
                            "off" => null,
                            "on" => "/usr/lib/apache2/suexec",
                            _ => Resolve(w),
                        };
                        if (wrapper is not null && !Posix.UserDatabase.CanExecute(wrapper))
                        {
                            Error(d, $"wrapper '{wrapper}' is not an executable file");
                        }
                    }

                    break;
                case "pmlisten":
                    listen = Single(d, ref listen, "[ADDRESS:]PORT");
                    break;
                case "pmwebprocesses":
                    if (Single(d, ref _unusedText, "a number") is { } n)
                    {
                        webProcesses = ParseInt(d, n, 1, 256);
                    }

                    _unusedText = null;
                    break;
                case "pmshutdowntimeout":
                    if (Single(d, ref _unusedText, "seconds") is { } s)
                    {
                        shutdown = TimeSpan.FromSeconds(ParseInt(d, s, 0, 3600));
                    }

                    _unusedText = null;
                    break;
                case "pmqueuegroup":
                    if (Single(d, ref queueGroup, "a group") is { } g)
                    {
                        if (Posix.UserDatabase.FindGroup(g) is null)
                        {
                            Error(d, $"unknown group '{g}'");
                        }
                    }

                    break;
                case "fastcgiconfig":
                case "fcgiconfig":
                    if (dynamicDirective is not null)
                    {
                        Error(d, $"given twice (first at line {dynamicDirective.Line}); FastCgiConfig is global and may appear once");
                    }

                    dynamicDirective ??= d;
                    break;
            }
        }

        ipcDir ??= IpcLayout.DefaultDirectory();
        if (!IpcLayout.FitsSocketPath(IpcLayout.DynamicSocket(ipcDir, "x")))
        {
            _errors.Add(new ConfigError(_file, 0, "FastCgiIpcDir", $"'{ipcDir}' is too long for Unix socket paths inside it (at most {IpcLayout.MaxSocketPathBytes - 45} bytes)"));
        }

        var dynamicDefaults = BuildDynamicDefaults(dynamicDirective);
        var statics = new List<StaticAppConfig>();
        var externals = new List<ExternalAppConfig>();
        var roots = new List<DynamicRootConfig>();
        var seenPaths = new Dictionary<string, int>(StringComparer.Ordinal);
        var seenUrls = new Dictionary<string, int>(StringComparer.Ordinal);

        foreach (var d in directives)
        {
            switch (d.Name.ToLowerInvariant())
            {
                case "fastcgiserver":
                case "appclass":
                    if (BuildStatic(d, ipcDir, wrapper) is { } s && Unique(d, s.Path, seenPaths) && UniqueUrl(d, s.UrlPrefix, seenUrls))
                    {
                        statics.Add(s);
                    }

                    break;
                case "fastcgiexternalserver":
                case "externalappclass":
                    if (BuildExternal(d, ipcDir) is { } e && Unique(d, e.Path, seenPaths) && UniqueUrl(d, e.UrlPrefix, seenUrls))
                    {
                        externals.Add(e);
                    }

                    break;
                case "pmdynamicroot":
                    if (BuildDynamicRoot(d, dynamicDefaults) is { } r && UniqueUrl(d, r.UrlPrefix, seenUrls))
                    {
                        roots.Add(r);
                    }

                    break;
                case "fastcgiipcdir":
                case "fastcgiwrapper":
                case "fastcgiconfig":
                case "fcgiconfig":
                case "pmlisten":
                case "pmwebprocesses":
                case "pmshutdowntimeout":
                case "pmqueuegroup":
                    break;
                default:
                    Error(d, $"unknown directive; Pm reads the mod_fastcgi directives (FastCgiServer, FastCgiExternalServer, FastCgiConfig, FastCgiIpcDir, FastCgiWrapper and their old names) and its own Pm* directives");
                    break;
            }
        }

        var frontEnd = BuildFrontEnd(directives, listen, webProcesses);
        return new PmConfig(Path.GetFullPath(_file), ipcDir, wrapper, statics, externals, dynamicDefaults, roots, frontEnd,
            shutdown ?? TimeSpan.FromSeconds(5), queueGroup);
    }

    private string? _unusedText;

    /// <summary>Drops &lt;IfModule mod_fastcgi.c&gt; wrappers (Pm is that module); any other container is an error.</summary>
    private List<Directive> FilterContainers(IReadOnlyList<Directive> all)
    {
        var result = new List<Directive>();
        var open = new Stack<(Directive Tag, bool Understood)>();
        foreach (var d in all)
        {
            if (d.Name.StartsWith("</", StringComparison.Ordinal))
            {
                if (open.Count == 0)
                {
                    Error(d, "closing tag without a matching opening tag");
                }
                else
                {
                    open.Pop();
                }

                continue;
            }

            if (d.Name.StartsWith('<'))
            {
                var module = (d.Name.Length > "<IfModule".Length ? d.Name["<IfModule".Length..] : string.Join(" ", d.Arguments)).TrimEnd('>').Trim();
                var understood = d.Name.StartsWith("<IfModule", StringComparison.OrdinalIgnoreCase) && TransparentModules.Contains(module, StringComparer.OrdinalIgnoreCase);
                if (!understood)
                {
                    Error(d, "only <IfModule mod_fastcgi.c> containers are understood");
                }

                open.Push((d, understood));
                continue;
            }

            // Directives inside a container Pm does not understand are not read: its error says enough.
            if (open.All(o => o.Understood))
            {
                result.Add(d);
            }
        }

        foreach (var (tag, _) in open)
        {
            Error(tag, "not closed");
        }

        return result;
    }

    private string? Single(Directive d, ref string? previous, string what)
    {
        if (previous is not null)
        {
            Error(d, "given more than once");
            return null;
        }

        if (d.Arguments.Count != 1)
        {
            Error(d, $"takes exactly one argument: {what}");
            return null;
        }

        return d.Arguments[0];
    }

    private int ParseInt(Directive d, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            Error(d, $"'{text}' must be a whole number between {min} and {max}");
            return min;
        }

        return n;
    }

    private bool Unique(Directive d, string path, Dictionary<string, int> seen)
    {
        if (seen.TryGetValue(path, out var line))
        {
            Error(d, $"redefinition of a previously defined FastCGI server \"{path}\" (line {line})");
            return false;
        }

        seen[path] = d.Line;
        return true;
    }

    private bool UniqueUrl(Directive d, string? url, Dictionary<string, int> seen)
    {
        if (url is null)
        {
            return true;
        }

        if (seen.TryGetValue(url, out var line))
        {
            Error(d, $"URL prefix '{url}' is already routed (line {line})");
            return false;
        }

        seen[url] = d.Line;
        return true;
    }

    private StaticAppConfig? BuildStatic(Directive d, string ipcDir, string? wrapper)
    {
        if (d.Arguments.Count == 0 || d.Arguments[0].StartsWith('-'))
        {
            Error(d, "requires a path to the app, then options");
            return null;
        }

        var errorsBefore = _errors.Count;
        var path = Resolve(d.Arguments[0]);
        var o = OptionValues.Parse(d, 1, OptionScope.Static, m => Error(d, $"{path}: {m}"));
        if (!File.Exists(path))
        {
            Error(d, Directory.Exists(path) ? $"\"{path}\" is a directory" : $"\"{path}\" does not exist");
        }
        else if (wrapper is null && !Posix.UserDatabase.CanExecute(path))
        {
            Error(d, $"\"{path}\" is not executable");
        }

        if (o.Has("port") && o.Has("socket"))
        {
            Error(d, $"{path}: -port and -socket are mutually exclusive options");
        }

        var runAs = ResolveIdentity(d, path, o);
        var address = o.Text("port") is { } port
            ? ParseTcp(d, path, port, "127.0.0.1")
            : SocketAddress(d, path, ipcDir, o.Text("socket") ?? IpcLayout.HashedName(path, o.Text("user"), o.Text("group")));
        var env = Environment(d, path, o);
        var (url, docRoot) = Routing(d, path, o);
        if (_errors.Count > errorsBefore)
        {
            return null;
        }

        return new StaticAppConfig(path, address!, o.Integer("processes"), o.Integer("priority"), o.Integer("listen-queue-depth"),
            env, o.All("arg"), o.Seconds("init-start-delay"), o.Seconds("restart-delay"), o.Seconds("min-server-life"),
            o.Seconds("backoff-max"), runAs, RequestSettings.From(o), url, docRoot, new ConfigSource(d.File, d.Line));
    }

    private ExternalAppConfig? BuildExternal(Directive d, string ipcDir)
    {
        if (d.Arguments.Count == 0 || d.Arguments[0].StartsWith('-'))
        {
            Error(d, "requires a path and either a -socket or -host option");
            return null;
        }

        var errorsBefore = _errors.Count;
        var path = Resolve(d.Arguments[0]);
        var o = OptionValues.Parse(d, 1, OptionScope.External, m => Error(d, $"{path}: {m}"));
        AppAddress? address = null;
        if (o.Has("host") == o.Has("socket"))
        {
            Error(d, $"{path}: exactly one of -host or -socket is required");
        }
        else
        {
            address = o.Text("host") is { } host ? ParseTcp(d, path, host, null) : SocketAddress(d, path, ipcDir, o.Text("socket")!);
        }

        var (url, docRoot) = Routing(d, path, o);
        if (_errors.Count > errorsBefore)
        {
            return null;
        }

        return new ExternalAppConfig(path, address!, RequestSettings.From(o), url, docRoot, new ConfigSource(d.File, d.Line));
    }

    private DynamicDefaults BuildDynamicDefaults(Directive? d)
    {
        var o = d is null
            ? OptionValues.Parse(new Directive("FastCgiConfig", [], _file, 0), 0, OptionScope.Dynamic, _ => { })
            : OptionValues.Parse(d, 0, OptionScope.Dynamic, m => Error(d, m));
        if (d is not null && o.Integer("processSlack") >= o.Integer("maxProcesses") + 1)
        {
            Error(d, $"processSlack ({o.Integer("processSlack")}) must be less than maxProcesses ({o.Integer("maxProcesses")}) + 1");
        }

        var policy = o.Text("policy") ?? Policy.PolicyCatalog.DefaultName;
        var parameters = PolicyValidator.FromModFastCgi(o);
        foreach (var (k, v) in o.PolicyParameters)
        {
            parameters[k] = v;
        }

        var resolved = CheckPolicy(d, policy, parameters);
        return new DynamicDefaults(o, RequestSettings.From(o), d is null ? [] : Environment(d, "FastCgiConfig", o),
            o.Seconds("startDelay"), o.Integer("listen-queue-depth"), o.Flag("autoUpdate"), o.Integer("maxProcesses"),
            o.Integer("maxClassProcesses"), policy, parameters, resolved.Ignored, d is null ? null : new ConfigSource(d.File, d.Line));
    }

    private DynamicRootConfig? BuildDynamicRoot(Directive d, DynamicDefaults defaults)
    {
        if (d.Arguments.Count < 2 || d.Arguments[0].StartsWith('-') || d.Arguments[1].StartsWith('-'))
        {
            Error(d, "requires a URL prefix and a directory, then options");
            return null;
        }

        var errorsBefore = _errors.Count;
        var url = NormalizePrefix(d, d.Arguments[0]);
        var dir = Resolve(d.Arguments[1]);
        if (!Directory.Exists(dir))
        {
            Error(d, $"\"{dir}\" is not a directory");
        }

        var o = OptionValues.Parse(d, 2, OptionScope.DynamicRoot, m => Error(d, m));
        var handlers = o.All("handler").Count > 0 ? o.All("handler") : [".fcgi"];
        foreach (var h in handlers)
        {
            if (!h.StartsWith('.') || h.Length < 2 || h.Contains('/'))
            {
                Error(d, $"handler '{h}' must be a file extension such as .fcgi");
            }
        }

        var policy = o.Text("policy") ?? defaults.PolicyName;
        var parameters = new Dictionary<string, string>(defaults.PolicyParameters, StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in o.PolicyParameters)
        {
            parameters[k] = v;
        }

        var resolved = CheckPolicy(d, policy, parameters);
        if (_errors.Count > errorsBefore)
        {
            return null;
        }

        return new DynamicRootConfig(url!, dir, handlers, policy, resolved.Parameters, resolved.Ignored, new ConfigSource(d.File, d.Line));
    }

    private PolicyValidator.Resolved CheckPolicy(Directive? d, string policy, IReadOnlyDictionary<string, string> parameters)
    {
        var resolved = PolicyValidator.Resolve(policy, parameters, out var problem);
        if (problem is not null)
        {
            if (d is null)
            {
                _errors.Add(new ConfigError(_file, 0, "FastCgiConfig", problem));
            }
            else
            {
                Error(d, problem);
            }
        }

        return resolved;
    }

    private FrontEndConfig BuildFrontEnd(IReadOnlyList<Directive> directives, string? listen, int? processes)
    {
        var host = "127.0.0.1";
        var port = 8080;
        if (listen is not null)
        {
            var d = directives.First(x => string.Equals(x.Name, "PmListen", StringComparison.OrdinalIgnoreCase));
            var address = ParseTcp(d, "PmListen", listen, "127.0.0.1");
            if (address is not null)
            {
                (host, port) = (address.Host!, address.Port);
            }
        }

        return new FrontEndConfig(host, port, processes ?? System.Environment.ProcessorCount);
    }

    private UserIdentity? ResolveIdentity(Directive d, string path, OptionValues o)
    {
        var userText = o.Text("user");
        var groupText = o.Text("group");
        if (userText is null && groupText is null)
        {
            return null;
        }

        var user = userText is null
            ? Posix.UserDatabase.FindUser(Posix.Identity.EffectiveUserId.ToString(CultureInfo.InvariantCulture))
            : Posix.UserDatabase.FindUser(userText);
        if (user is null)
        {
            Error(d, $"{path}: invalid user or group: unknown user '{userText}'");
            return null;
        }

        Posix.UserDatabase.Group? group;
        if (groupText is not null)
        {
            group = Posix.UserDatabase.FindGroup(groupText);
            if (group is null)
            {
                Error(d, $"{path}: invalid user or group: unknown group '{groupText}'");
                return null;
            }
        }
        else
        {
            group = Posix.UserDatabase.FindGroup(user.Gid.ToString(CultureInfo.InvariantCulture)) ?? new Posix.UserDatabase.Group(user.Gid.ToString(CultureInfo.InvariantCulture), user.Gid);
        }

        if (!Posix.Identity.IsRoot && (user.Uid != Posix.Identity.EffectiveUserId || group.Gid != Posix.Identity.EffectiveGroupId))
        {
            Error(d, $"{path}: running as user '{user.Name}' and group '{group.Name}' needs the PM to run as root");
            return null;
        }

        return new UserIdentity(user.Name, user.Uid, group.Name, group.Gid);
    }

    private AppAddress? SocketAddress(Directive d, string path, string ipcDir, string name)
    {
        var socket = Path.IsPathRooted(name) ? name : Path.Combine(ipcDir, name);
        if (!IpcLayout.FitsSocketPath(socket))
        {
            Error(d, $"{path}: socket path '{socket}' is longer than {IpcLayout.MaxSocketPathBytes - IpcLayout.TemporarySuffix.Length} bytes");
            return null;
        }

        return AppAddress.Unix(socket);
    }

    private AppAddress? ParseTcp(Directive d, string path, string text, string? defaultHost)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : defaultHost;
        var portText = colon >= 0 ? text[(colon + 1)..] : text;
        if (host is null || host.Length == 0)
        {
            Error(d, $"{path}: '{text}' must be HOST:PORT");
            return null;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
        {
            Error(d, $"{path}: port '{portText}' must be between 1 and 65535");
            return null;
        }

        return AppAddress.Tcp(host, port);
    }

    private List<string> Environment(Directive d, string path, OptionValues o)
    {
        var env = new List<string>();
        foreach (var entry in o.All("initial-env"))
        {
            if (entry.StartsWith('='))
            {
                Error(d, $"{path}: -initial-env '{entry}' has no name");
                continue;
            }

            env.Add(entry.Contains('=') ? entry : $"{entry}={System.Environment.GetEnvironmentVariable(entry)}");
        }

        if (env.Count > OptionTable.MaxInitialEnvironment)
        {
            Error(d, $"{path}: too many -initial-env variables ({env.Count}), must be <= {OptionTable.MaxInitialEnvironment}");
        }

        return env;
    }

    private (string? Url, string? DocumentRoot) Routing(Directive d, string path, OptionValues o)
    {
        var url = o.Text("url") is { } u ? NormalizePrefix(d, u) : null;
        string? docRoot = null;
        if (o.Text("document-root") is { } root)
        {
            docRoot = Resolve(root);
            if (!Directory.Exists(docRoot))
            {
                Error(d, $"{path}: -document-root \"{docRoot}\" is not a directory");
            }

            if (url is null)
            {
                Error(d, $"{path}: -document-root needs -url");
            }
        }

        return (url, docRoot);
    }

    private string? NormalizePrefix(Directive d, string url)
    {
        if (!url.StartsWith('/') || url.Contains("..", StringComparison.Ordinal) || url.Any(char.IsWhiteSpace))
        {
            Error(d, $"URL prefix '{url}' must start with '/' and contain no '..' or blanks");
            return null;
        }

        return url.Length > 1 ? url.TrimEnd('/') : url;
    }
}
