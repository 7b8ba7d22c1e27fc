using Microsoft.AspNetCore.Http;
using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Cgi;
using Pm.FrontEnd.Dynamic;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Proxy;
using Pm.FrontEnd.Routing;
using Pm.FrontEnd.StaticFiles;
using Pm.FrontEnd.Status;

namespace Pm.FrontEnd.Hosting;

/// <summary>
/// The one request handler of a web process: routes the path (<see cref="RouteTable"/>) and hands the request to
/// the proxy, the dynamic-app machinery or the status page.
/// </summary>
public sealed class FrontEndHandler : IAsyncDisposable
{
    private readonly RouteTable _routes;
    private readonly FastCgiProxy _proxy;
    private readonly DynamicApps? _dynamic;
    private readonly ResolvedScripts? _scripts;
    private readonly IStatusPage? _status;
    private readonly WebLog _log;
    private readonly List<AppBackend> _apps = [];
    private readonly bool _autoUpdate;

    public FrontEndHandler(PmConfig config, IStatusPage? status, TimeProvider time, WebLog log)
    {
        _status = status;
        _log = log;
        _autoUpdate = config.Dynamic.AutoUpdate;
        Scoreboard = Pm.FrontEnd.Scoreboard.WebScoreboard.Open(config.IpcDir, Environment.ProcessId, time.GetUtcNow(), log);
        _proxy = new FastCgiProxy(log, config.FrontEnd) { Scoreboard = Scoreboard };
        var mounts = new List<Mount>();
        var queue = new Lazy<Protocol.Queue.QueueWriter>(() => Protocol.Queue.QueueWriter.Open(config.IpcDir, new Protocol.Queue.QueueWriterOptions
        {
            TimeProvider = time,
            Failed = failure => log.Write($"queue: {failure.Message}"),
        }));
        // Every static and external app has its backend (its pool), mounted or not: the FastCGI dispatcher reaches
        // apps by name, and shares the pool with HTTP requests to the same app.
        foreach (var app in config.StaticApps)
        {
            var backend = new AppBackend(app.Path, app.Address, app.Request, app.UrlPrefix, app.DocumentRoot, config.IpcDir, time, log, app.DocumentRootRules);
            if (app.Request.RequestTimeout is not null || app.Request.SlowLog is not null)
            {
                backend.Overdue = new StaticAppReports(app.Path, queue, time);
            }

            _apps.Add(backend);
            if (app.UrlPrefix is { } url)
            {
                mounts.Add(new Mount(url, backend, null));
            }
        }

        foreach (var app in config.ExternalApps)
        {
            var backend = new AppBackend(app.Path, app.Address, app.Request, app.UrlPrefix, app.DocumentRoot, config.IpcDir, time, log, app.DocumentRootRules);
            _apps.Add(backend);
            if (app.UrlPrefix is { } url)
            {
                mounts.Add(new Mount(url, backend, null));
            }
        }

        foreach (var root in config.DynamicRoots)
        {
            mounts.Add(new Mount(root.UrlPrefix, null, root));
        }

        _routes = new RouteTable(mounts, status is null ? null : config.FrontEnd.StatusPage);
        if (config.DynamicRoots.Count > 0)
        {
            _dynamic = new DynamicApps(config, time, log);
            _scripts = new ResolvedScripts(time);
        }
    }

    public RouteTable Routes => _routes;

    /// <summary>Every static and external app, by its path (its name in the config).</summary>
    internal IReadOnlyList<AppBackend> Apps => _apps;

    /// <summary>The dynamic apps' machinery (null without a PmDynamicRoot), shared with the dispatcher so an app starts once however it is reached.</summary>
    internal DynamicApps? Dynamic => _dynamic;

    internal bool AutoUpdate => _autoUpdate;

    /// <summary>This web process's scoreboard (null when it could not be made), shared with the dispatcher.</summary>
    internal Pm.FrontEnd.Scoreboard.WebScoreboard? Scoreboard { get; }

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (string.IsNullOrEmpty(path))
        {
            path = "/";
        }

        var match = _routes.Match(path);
        switch (match.Kind)
        {
            case RouteKind.App:
                var mount = match.Mount!;
                var mapped = ScriptMapper.Map(mount.App!, mount.Prefix, path);
                return mapped.Kind switch
                {
                    MappedKind.Script => _proxy.ForwardAsync(context, mount.App!, mapped.Target),
                    MappedKind.StaticFile => StaticFileSender.SendAsync(context, mapped.File!),
                    MappedKind.Redirect => RedirectAsync(context, mapped.Location!),
                    _ => RefuseAsync(context, mount.App!.Name, mapped.Status, mapped.Problem!),
                };

            case RouteKind.Dynamic:
                return ForwardDynamicAsync(context, match.Mount!.DynamicRoot!, path);

            case RouteKind.Status or RouteKind.Metrics when _status is not null:
                return StatusAsync(context, match.Kind == RouteKind.Metrics);

            default:
                return ErrorResponses.WriteAsync(context, 404, "no application is mounted at this URL");
        }
    }

    /// <summary>
    /// A request on the status listener (PmStatusListen): "/" is the page (and "/?json"), "/metrics" the Prometheus
    /// text, anything else is not found; no app is reached from it.
    /// </summary>
    public Task HandleStatusListenerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        return path switch
        {
            null or "" or "/" when _status is not null => StatusAsync(context, metrics: false),
            "/metrics" when _status is not null => StatusAsync(context, metrics: true),
            _ => ErrorResponses.WriteAsync(context, 404, "the status listener serves only / and /metrics"),
        };
    }

    private Task StatusAsync(HttpContext context, bool metrics)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return ErrorResponses.WriteAsync(context, 405, "the status page is only read");
        }

        return _status!.WriteAsync(context, metrics);
    }

    private async Task ForwardDynamicAsync(HttpContext context, DynamicRootConfig root, string path)
    {
        var resolved = _scripts!.Resolve(root, path);
        if (resolved.Script is not { } script)
        {
            await RefuseAsync(context, $"dynamic root {root.UrlPrefix}", resolved.Status, resolved.Problem!).ConfigureAwait(false);
            return;
        }

        var app = _dynamic!.Get(script);
        if (_autoUpdate)
        {
            app.CheckBinaryChanged();
        }

        using var lifecycle = new DynamicRequest(_dynamic, app);
        var target = new ScriptTarget(script.ScriptName, script.PathInfo, script.AppPath, root.Directory);
        await _proxy.ForwardAsync(context, app.Backend, target, lifecycle).ConfigureAwait(false);
    }

    /// <summary>301 to a directory's slash URL, the query kept (nginx's answer, so the index's relative links resolve).</summary>
    private static Task RedirectAsync(HttpContext context, string location)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status301MovedPermanently;
        response.Headers.Location = location + context.Request.QueryString.ToUriComponent();
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private Task RefuseAsync(HttpContext context, string who, int status, string problem)
    {
        _log.Write($"{who}: {status} for {FastCgiProxy.Describe(context)}: {problem}");
        return ErrorResponses.WriteAsync(context, status, status == 403 ? "this URL may not be served" : "no such script");
    }

    public async ValueTask DisposeAsync()
    {
        // The scoreboard stays mapped until the process exits: a dispatcher's last request may still end after this.
        _proxy.Dispose();
        foreach (var app in _apps)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }

        if (_dynamic is not null)
        {
            await _dynamic.DisposeAsync().ConfigureAwait(false);
        }
    }
}
