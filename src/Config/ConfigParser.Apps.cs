using System.Globalization;

namespace Pm.Config;

/// <summary>FastCgiServer and FastCgiExternalServer: the apps Pm starts, and the ones running elsewhere.</summary>
public sealed partial class ConfigParser
{
    private readonly List<StaticAppConfig> _statics = [];
    private readonly List<ExternalAppConfig> _externals = [];
    private readonly Dictionary<string, int> _seenPaths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _seenUrls = new(StringComparer.Ordinal);

    // Each app's line, by path: the section it sits in decides which DocumentRoot gives it a URL (see ConfigParser.Mounts.cs).
    private readonly Dictionary<string, Directive> _appDirectives = new(StringComparer.Ordinal);

    private void AddStatic(Directive d)
    {
        if (BuildStatic(d, _ipcDir, _wrapper) is { } s && Unique(d, s.Path, _seenPaths) && UniqueUrl(d, s.UrlPrefix, _seenUrls))
        {
            _statics.Add(s);
            _appDirectives[s.Path] = d;
        }
    }

    private void AddExternal(Directive d)
    {
        if (BuildExternal(d, _ipcDir) is { } e && Unique(d, e.Path, _seenPaths) && UniqueUrl(d, e.UrlPrefix, _seenUrls))
        {
            _externals.Add(e);
            _appDirectives[e.Path] = d;
        }
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
        var (url, docRoot, rules) = Routing(d, path, o);
        var limits = InstanceLimits.From(o, m => Error(d, $"{path}: {m}"));
        var access = SocketAccess.Private;
        if (SocketAccess.Given(o) && o.Has("port"))
        {
            Error(d, $"{path}: -socket-user, -socket-group and -socket-mode apply to a Unix socket, not to -port");
        }
        else
        {
            access = SocketAccess.From(o, m => Error(d, $"{path}: {m}"));
        }

        if (_errors.Count > errorsBefore)
        {
            return null;
        }

        return new StaticAppConfig(path, address!, o.Integer("processes"), o.Integer("priority"), o.Integer("listen-queue-depth"),
            env, o.All("arg"), o.Seconds("init-start-delay"), o.Seconds("restart-delay"), o.Seconds("min-server-life"),
            o.Seconds("backoff-max"), runAs, RequestSettings.From(o), url, docRoot, new ConfigSource(d.File, d.Line), limits, access, rules);
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

        var (url, docRoot, rules) = Routing(d, path, o);
        if (_errors.Count > errorsBefore)
        {
            return null;
        }

        return new ExternalAppConfig(path, address!, RequestSettings.From(o), url, docRoot, new ConfigSource(d.File, d.Line), rules);
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

    private (string? Url, string? DocumentRoot, DocumentRootRules? Rules) Routing(Directive d, string path, OptionValues o)
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

        if (docRoot is null)
        {
            if (DocumentRootRules.Given(o))
            {
                Error(d, $"{path}: -{DocumentRootRules.ExtensionsOption}, -{DocumentRootRules.IndexOption} and -{DocumentRootRules.StaticOption} need -document-root");
            }

            return (url, null, null);
        }

        return (url, docRoot, DocumentRootRules.From(o, m => Error(d, $"{path}: {m}")));
    }
}
