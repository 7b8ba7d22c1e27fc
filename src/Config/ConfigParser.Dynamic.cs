using Pm.Policy;

namespace Pm.Config;

/// <summary>FastCgiConfig (the settings of every dynamic app, once) and PmDynamicRoot (where dynamic apps live, and their policy).</summary>
public sealed partial class ConfigParser
{
    private readonly List<DynamicRootConfig> _roots = [];
    private Directive? _dynamicDirective;

    // FastCgiConfig's policy as written and its parameters: each PmDynamicRoot starts from them and resolves its own.
    private string _dynamicPolicy = PolicyCatalog.DefaultName;
    private Dictionary<string, string> _dynamicParameters = [];

    // mod_fastcgi reads -startDelay as a whole number of seconds (get_u_int); Pm's policies take decimal seconds, and
    // FastCgiConfig under classic, which is mod_fastcgi's policy, keeps mod_fastcgi's rule.
    private static readonly OptionSpec ModFastCgiStartDelay =
        OptionTable.Find("startDelay", OptionScope.Dynamic)! with { Kind = OptionKind.Integer, Min = 1 };

    // Set between the passes, with the two fields above, before any PmDynamicRoot is read.
    private DynamicDefaults _dynamic = null!;

    private void ReadDynamicOnce(Directive d)
    {
        if (_dynamicDirective is not null)
        {
            Error(d, $"given twice (first at line {_dynamicDirective.Line}); FastCgiConfig is global and may appear once");
        }

        _dynamicDirective ??= d;
    }

    private void SettleDynamicDefaults() => _dynamic = BuildDynamicDefaults(_dynamicDirective);

    private void AddDynamicRoot(Directive d)
    {
        if (BuildDynamicRoot(d) is { } r && UniqueUrl(d, r.UrlPrefix, _seenUrls))
        {
            _roots.Add(r);
        }
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

        _dynamicPolicy = o.Text("policy") ?? PolicyCatalog.DefaultName;
        _dynamicParameters = PolicyResolver.FromModFastCgi(o);
        if (d is not null && IsClassic(_dynamicPolicy) && o.Text("startDelay") is { } startDelay
            && OptionValues.Check(ModFastCgiStartDelay, startDelay) is { } problem)
        {
            Error(d, $"invalid value for -startDelay: {problem}");
            _dynamicParameters.Remove("startDelay"); // one mistake, one error: the policy does not see it too
        }

        foreach (var (k, v) in o.PolicyParameters)
        {
            _dynamicParameters[k] = v;
        }

        var resolved = CheckPolicy(d, _dynamicPolicy, _dynamicParameters);

        // Without settings the config has an error and is never handed out; the default policy's stand in meanwhile.
        return new DynamicDefaults(o, RequestSettings.From(o), d is null ? [] : Environment(d, "FastCgiConfig", o),
            TimeSpan.FromSeconds(o.Decimal("startDelay")), o.Integer("listen-queue-depth"), o.Flag("autoUpdate"), o.Integer("maxProcesses"),
            o.Integer("maxClassProcesses"), resolved.Settings ?? new DemandPolicyOptions(), resolved.Ignored,
            d is null ? null : new ConfigSource(d.File, d.Line),
            InstanceLimits.From(o, m => { if (d is not null) { Error(d, m); } }),
            SocketAccess.From(o, m => { if (d is not null) { Error(d, m); } }));
    }

    private DynamicRootConfig? BuildDynamicRoot(Directive d)
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
        return BuildRoot(d, url, dir, handlers, o, errorsBefore);
    }

    /// <summary>
    /// A root Apache lines make (a ScriptAlias'd directory with AddHandler fastcgi-script ...): FastCgiConfig's
    /// settings, as a PmDynamicRoot without options has; no extensions: every file there (SetHandler).
    /// </summary>
    private DynamicRootConfig? BuildDerivedRoot(Directive d, string url, string dir, IReadOnlyList<string> handlers)
    {
        var errorsBefore = _errors.Count;
        if (!Directory.Exists(dir))
        {
            Error(d, $"\"{dir}\" is not a directory, so it cannot be the dynamic root at {url}");
        }

        var o = OptionValues.Parse(new Directive("PmDynamicRoot", [], d.File, d.Line), 0, OptionScope.DynamicRoot, _ => { });
        return BuildRoot(d, url, dir, handlers, o, errorsBefore);
    }

    private DynamicRootConfig? BuildRoot(Directive d, string? url, string dir, IReadOnlyList<string> handlers, OptionValues o, int errorsBefore)
    {
        foreach (var h in handlers)
        {
            if (!h.StartsWith('.') || h.Length < 2 || h.Contains('/'))
            {
                Error(d, $"handler '{h}' must be a file extension such as .fcgi");
            }
        }

        var policy = o.Text("policy") ?? _dynamicPolicy;
        var parameters = new Dictionary<string, string>(_dynamicParameters, StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in o.PolicyParameters)
        {
            parameters[k] = v;
        }

        var resolved = CheckPolicy(d, policy, parameters);

        // Each of the three falls back to FastCgiConfig's on its own, as the other options do; read as one, so the
        // mode's default (0660 once an owner or group is given) and the lock-out check see the whole result.
        var access = SocketAccess.Given(o)
            ? SocketAccess.Parse(
                o.Text(SocketAccess.UserOption) ?? _dynamic.Options.Text(SocketAccess.UserOption),
                o.Text(SocketAccess.GroupOption) ?? _dynamic.Options.Text(SocketAccess.GroupOption),
                o.Text(SocketAccess.ModeOption) ?? _dynamic.Options.Text(SocketAccess.ModeOption),
                m => Error(d, $"PmDynamicRoot {url}: {m}"))
            : _dynamic.Access;
        if (_errors.Count > errorsBefore || resolved.Settings is null)
        {
            return null;
        }

        return new DynamicRootConfig(url!, dir, handlers, resolved.Settings, resolved.Ignored, new ConfigSource(d.File, d.Line),
            _dynamic.Request.OverriddenBy(o), _dynamic.Limits.Recycling.OverriddenBy(o, m => Error(d, $"PmDynamicRoot {url}: {m}")), access);
    }

    private static bool IsClassic(string policy) =>
        string.Equals(policy.Trim(), PolicyCatalog.Classic, StringComparison.OrdinalIgnoreCase);

    private PolicyResolver.Resolved CheckPolicy(Directive? d, string policy, IReadOnlyDictionary<string, string> parameters)
    {
        var resolved = PolicyResolver.Resolve(policy, parameters);
        if (resolved.Error is { } problem)
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
}
