using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Net.Sockets;
using Pm.Config;
using Pm.FrontEnd.Logging;
using Pm.Shared;

namespace Pm.FrontEnd.Hosting;

/// <summary>
/// A web process: Kestrel (no MVC, no routing middleware: one request delegate) on the PM's shared listening
/// socket (fd 0) or on --listen, until <c>stopping</c> fires; then it stops accepting, lets requests in flight finish
/// for at most <see cref="WebServerOptions.ShutdownTimeout"/>, cuts what is left, and returns 0.
/// </summary>
public static class WebServer
{
    /// <summary>
    /// Whether request processing runs on the socket engine's threads instead of hopping to the thread pool. On a
    /// few cores shared with the apps, each hop costs a wake-up and a context switch, which showed as a third of the
    /// front end's CPU per request (bench/PmBench frontend). It needs socket completions inlined too
    /// (<see cref="PrepareProcess"/>), and code on the request path that never blocks a thread for long: the
    /// exceptions are a log line's process lookup (a few milliseconds, only when logging) and a queue record to a PM
    /// that is slow (bounded by the queue writer's waits).
    /// </summary>
    public static bool InlineScheduling { get; } = true;

    /// <summary>The most a stopping web process waits for its keep-alive clients to leave before Kestrel's own stop.</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Runtime settings a web process needs before its runtime starts, so the PM puts them in the environment of
    /// each web process it spawns (a value the PM's own environment gives wins). The garbage collector's youngest
    /// generation is held to 4 MiB: with its default budget (about 16 MiB here) every gen-0 collection stopped all
    /// requests for 5-10 ms, twice a second at 6,000 requests/s (the proxy path allocates about 5.5 KB a request),
    /// and that pause was the p99 at every concurrency. With 4 MiB a pause is 1-2 ms, four times as often, for the
    /// same total GC time (measured with a uprobe on the GC's entry and return; bench/PmBench peers).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> RuntimeEnvironment { get; } =
    [
        // Hexadecimal, without 0x: the runtime reads DOTNET_GC* numbers that way (and ignores "0x400000").
        new("DOTNET_GCgen0size", "400000"),
    ];

    /// <summary>
    /// Process-wide settings a web process needs before its first socket operation, which the socket engine reads
    /// once, when it starts: socket completions run inline on its event threads, and there are as many event threads
    /// as this process's share of the cores (cores / web processes, at least one). With the default of one web
    /// process per core, each is then a single event loop, as an nginx worker is; measured on 2 cores, that took the
    /// front end from about 87 to 65-78 µs of CPU per request (bench/PmBench frontend). Explicit settings in the
    /// environment win.
    /// </summary>
    public static void PrepareProcess(int webProcesses)
    {
        if (InlineScheduling && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        if (InlineScheduling && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT") is null)
        {
            var threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, webProcesses));
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", threads.ToString(CultureInfo.InvariantCulture));
        }
    }

    public static async Task<int> RunAsync(WebServerOptions options, CancellationToken stopping)
    {
        var log = options.Log;
        var connections = new OpenConnections();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "pm-web",
            ContentRootPath = Path.GetDirectoryName(options.Config.SourceFile) ?? "/",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new WebLogLoggerProvider(log));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Hosting starts an Activity and a log scope for every request when its category logs at any level (it only
        // logs "request starting/finished", at Information): off, so a request allocates neither.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.UseSockets(o =>
        {
            o.UnsafePreferInlineScheduling = InlineScheduling;
            // Read requests straight into a buffer instead of first waiting for data with a zero-byte read: one step
            // less per request, for a 4 KiB buffer held by each idle keep-alive connection.
            o.WaitForDataBeforeAllocatingBuffer = false;
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            Configure(kestrel);
            var tls = options.Config.FrontEnd.Tls;
            if (options.Listen is { } endPoint)
            {
                kestrel.Listen(endPoint, listen => ConfigureListener(listen, connections, tls));
            }
            else
            {
                kestrel.ListenHandle(0, listen => ConfigureListener(listen, connections, tls));
            }

            if (options.StatusListener is { } status)
            {
                ListenForStatus(kestrel, status, connections);
            }
        });

        await using var handler = new FrontEndHandler(options.Config, options.StatusPage, options.Time, log);
        await using var app = builder.Build();
        app.Run(context =>
        {
            if (connections.Draining)
            {
                // Stopping: every response closes its connection, so a keep-alive client goes elsewhere after a
                // complete answer instead of meeting a connection closed under its next request.
                context.Response.Headers.Connection = "close";
            }

            return context.Features.Get<StatusConnection>() is not null ? handler.HandleStatusListenerAsync(context) : handler.HandleAsync(context);
        });
        try
        {
            await app.StartAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM while Kestrel was still starting (the PM stopped right after it started): nothing was served,
            // nothing is left to finish; a stop, not a failure.
            log.Write($"pm web {Environment.ProcessId}: stopped while starting");
            return 0;
        }

        // The dispatcher shares the handler's apps and pools: it runs until the handler is disposed, after it.
        using var dispatchStopping = new CancellationTokenSource();
        var dispatching = Task.CompletedTask;
        if (options.FastCgiListener is { } fastCgi)
        {
            var dispatcher = new Dispatch.FastCgiDispatcher(handler, options.Config, options.Time, log);
            dispatching = dispatcher.ServeAsync(fastCgi, options.ShutdownTimeout, dispatchStopping.Token);
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var where = options.Listen is null ? "the PM's listening socket (fd 0)" : string.Join(" ", addresses ?? []);
        if (options.StatusListener is { } statusListener)
        {
            where += $", the status page on {options.Config.FrontEnd.StatusListen?.ToString() ?? $"fd {statusListener.Descriptor}"}";
        }

        if (options.FastCgiListener is not null)
        {
            where += $", and FastCGI for the dispatcher on {options.Config.FrontEnd.FastCgiListen?.ToString() ?? "fd 4"}";
        }
        log.Write(string.Create(CultureInfo.InvariantCulture,
            $"pm web {Environment.ProcessId}: serving {where}: {Describe(handler)}"));

        try
        {
            await Task.Delay(Timeout.Infinite, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // First drain: the PM has already told libpm-shim.so to take no new connection on the shared socket (a
        // retirement), and each response now closes its connection; keep-alive clients leave within one request
        // each. Then Kestrel's stop closes what is left (connections idle throughout) and cuts what overruns.
        var drain = TimeSpan.FromTicks(Math.Min(DrainLimit.Ticks, options.ShutdownTimeout.Ticks / 2));
        log.Write(string.Create(CultureInfo.InvariantCulture,
            $"pm web {Environment.ProcessId}: stopping: {connections.Count} connection(s) open; each closes after its next response (at most {DurationFormat.Seconds(drain, 1)}), then requests in flight finish (at most {DurationFormat.Seconds(options.ShutdownTimeout - drain, 1)})"));
        connections.Draining = true;
        await dispatchStopping.CancelAsync().ConfigureAwait(false);
        var started = options.Time.GetTimestamp();
        while (connections.Count > 0 && options.Time.GetElapsedTime(started) < drain)
        {
            await Task.Delay(DrainPoll, options.Time).ConfigureAwait(false);
        }

        using (var grace = new CancellationTokenSource(options.ShutdownTimeout - options.Time.GetElapsedTime(started), options.Time))
        {
            await app.StopAsync(grace.Token).ConfigureAwait(false);
        }

        try
        {
            // Bounded: the dispatcher aborts what is left after the shutdown timeout.
            await dispatching.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            log.Write($"pm web {Environment.ProcessId}: the FastCGI dispatcher failed: {e.Message}");
        }

        log.Write($"pm web {Environment.ProcessId}: stopped");
        return 0;
    }

    /// <summary>
    /// The listener: connections counted for the drain; with TLS, the certificate and its chain loaded now (a renewed
    /// one is taken up by the next web process, so `pm reload` renews it without a dropped request), and HTTP/2 offered
    /// through ALPN beside HTTP/1.1 unless -http2 off. Without TLS only HTTP/1.1: browsers speak HTTP/2 only over TLS.
    /// </summary>
    private static void ConfigureListener(ListenOptions listen, OpenConnections connections, TlsSettings? tls)
    {
        listen.Use(connections.Track);
        if (tls is null)
        {
            listen.Protocols = HttpProtocols.Http1;
            return;
        }

        var (server, chain) = TlsCertificate.Load(tls);
        listen.Protocols = tls.Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = server, ServerCertificateChain = chain });
    }

    /// <summary>
    /// The status listener: plain HTTP/1.1 (it is for Prometheus and an operator's curl, on loopback or a Unix socket),
    /// its connections marked so that only the status page answers on it, and counted for the drain as the others.
    /// </summary>
    private static void ListenForStatus(KestrelServerOptions kestrel, StatusListenerSource status, OpenConnections connections)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.Use(connections.Track);
            listen.Use(next => connection =>
            {
                connection.Features.Set(StatusConnection.Instance);
                return next(connection);
            });
        }

        if (status.Descriptor is { } fd)
        {
            kestrel.ListenHandle((ulong)fd, Configure);
        }
        else if (status.Address!.SocketPath is { } path)
        {
            kestrel.ListenUnixSocket(path, Configure);
        }
        else
        {
            kestrel.Listen(status.Address.ToEndPoint() as System.Net.IPEndPoint ?? throw new InvalidOperationException($"PmStatusListen {status.Address} is no IP address"), Configure);
        }
    }

    /// <summary>Kestrel settings for a FastCGI front end.</summary>
    private static void Configure(KestrelServerOptions kestrel)
    {
        // Apps set their own Server header if they want one.
        kestrel.AddServerHeader = false;

        // No limit of Kestrel's: the proxy applies PmRequestBodyMax itself, so the 413 is logged with the app it was
        // meant for; bodies with a Content-Length stream to the app, only chunked ones are held (BufferedBody).
        kestrel.Limits.MaxRequestBodySize = null;

        // CGI apps may send ISO-8859-1 bytes in header values; pass them through unchanged.
        kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.Latin1;
        kestrel.RequestHeaderEncodingSelector = static _ => Encoding.Latin1;
    }

    private static string Describe(FrontEndHandler handler)
    {
        var parts = handler.Routes.Mounts.Select(m => m.App is { } app ? $"{m.Prefix} -> {app.Name}" : $"{m.Prefix} -> dynamic apps in {m.DynamicRoot!.Directory}");
        var text = string.Join(", ", parts);
        return text.Length == 0 ? "no apps are mounted" : text;
    }
}
