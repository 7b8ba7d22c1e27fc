using System.Net.Sockets;
using Pm.Config;
using Pm.FrontEnd.Dynamic;
using Pm.FrontEnd.Hosting;
using Pm.FrontEnd.Logging;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// The FastCGI side of a web process (PmFastCgiListen): a web server in front (nginx <c>fastcgi_pass</c>, Apache
/// mod_proxy_fcgi) sends FastCGI requests here, and each is passed on to the app its params name
/// (<see cref="DispatchRouter"/>). Dynamic apps start on demand exactly as for HTTP requests: the same
/// <see cref="DynamicApps"/> (one start however the app is reached), the same S/T/C records, startDelay,
/// -appConnTimeout and policy (<see cref="DynamicRequest"/>), the same connection pools.
/// <para>
/// The connections from the web server are served by <see cref="FastCgiServer"/>: FCGI_KEEP_CONN keeps one for the
/// next request (nginx's <c>fastcgi_keep_conn on</c>), requests multiplexed on one are served side by side, and
/// FCGI_GET_VALUES says so (FCGI_MPXS_CONNS=1). Only the RESPONDER role is served. A stop stops accepting, closes
/// idle kept connections, and lets requests in flight finish for the web process's shutdown timeout.
/// </para>
/// </summary>
public sealed class FastCgiDispatcher
{
    private readonly DispatchRouter _router;
    private readonly FastCgiRelay _relay;
    private readonly DynamicApps? _dynamic;
    private readonly bool _autoUpdate;
    private readonly WebLog _log;

    public FastCgiDispatcher(FrontEndHandler handler, PmConfig config, TimeProvider time, WebLog log)
    {
        _router = new DispatchRouter(handler.Apps, config.DynamicRoots, time);
        _relay = new FastCgiRelay(log, handler.Scoreboard);
        _dynamic = handler.Dynamic;
        _autoUpdate = handler.AutoUpdate;
        _log = log;
    }

    /// <summary>Serves <paramref name="listener"/> until <paramref name="stopping"/> fires, then stops within <paramref name="shutdownTimeout"/>.</summary>
    public Task ServeAsync(Socket listener, TimeSpan shutdownTimeout, CancellationToken stopping) =>
        FastCgiServer.RunAsync(listener, HandleAsync, new FastCgiServerOptions
        {
            MaxConnections = 4096,
            MaxRequests = 16384,
            MultiplexConnections = true,

            // The handler's first wait comes at once (the connect to the app, then its answer): no thread hop per request.
            StartHandlersInline = true,
            ShutdownTimeout = shutdownTimeout,
            OnError = error => _log.Write($"dispatcher: {error}"),
        }, stopping);

    /// <summary>One request: its target, then the relay, or the dispatcher's 404/403 with a log line.</summary>
    public async ValueTask<int> HandleAsync(FastCgiServerRequest request)
    {
        var target = _router.Choose(request.Params);
        if (target.App is { } app)
        {
            return await _relay.ForwardAsync(request, app, lifecycle: null).ConfigureAwait(false);
        }

        if (target.Script is { } script && _dynamic is not null)
        {
            var dynamicApp = _dynamic.Get(script);
            if (_autoUpdate)
            {
                dynamicApp.CheckBinaryChanged();
            }

            using var lifecycle = new DynamicRequest(_dynamic, dynamicApp);
            return await _relay.ForwardAsync(request, dynamicApp.Backend, lifecycle).ConfigureAwait(false);
        }

        _log.Write($"dispatcher: {target.Status} for {FastCgiRelay.Describe(request)}: {target.Problem}");
        DispatchAnswers.Write(request.Stdout, target.Status, target.Status == 403 ? "this script may not be served" : "no such application");
        return 0;
    }
}
