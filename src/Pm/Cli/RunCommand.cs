using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pm.Config;
using Pm.Hosting;

namespace Pm.Cli;

/// <summary>`pm run CONFIG` and `pm serve CONFIG`: the PM (with its web processes) in the foreground until SIGTERM or SIGINT.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string configPath, DaemonMode mode)
    {
        if (ConfigLoader.Load(configPath) is not { } config)
        {
            return ExitCodes.ConfigError;
        }

        using var host = BuildHost(config, services =>
        {
            services.AddSingleton(mode);
            services.AddHostedService(sp => sp.GetRequiredService<PmDaemon>());
        });
        return await RunHostAsync(host, () => _ = host.Services.GetRequiredService<PmDaemon>().ReloadAsync("SIGHUP")).ConfigureAwait(false);
    }

    public static IHost BuildHost(PmConfig config, Action<IServiceCollection> addServices)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 })
        {
            // Under systemd's journal: no timestamp of our own (journald keeps its own), and a <N> syslog priority
            // prefix on each line so that `journalctl -p warning` and the colours work.
            builder.Logging.AddSystemdConsole(o =>
            {
                o.IncludeScopes = false;
                o.TimestampFormat = null;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                o.IncludeScopes = false;
            });
        }
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        // A failed start is reported once, plainly, by RunHostAsync; the host's own stack-trace dump is noise.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.Configure<HostOptions>(o =>
        {
            // The PM's own grace period bounds the stop; the host must not cut it short.
            o.ShutdownTimeout = config.ShutdownTimeout + TimeSpan.FromSeconds(15);
        });
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PmDaemon>();
        addServices(builder.Services);
        return builder.Build();
    }

    /// <param name="reload">What SIGHUP does (the PM's reload); null: SIGHUP stops, like SIGTERM.</param>
    public static async Task<int> RunHostAsync(IHost host, Action? reload = null)
    {
        try
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("pm");
            using var signals = new ShutdownSignals(lifetime, reload, line => log.LogWarning("{Line}", line));
            using var parent = Watchdog.IsCore ? ParentWatch.ForCore(lifetime) : ParentWatch.StartIfAsked(lifetime);
            await host.RunAsync().ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"pm: cannot start: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.StartFailed;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"pm: cannot start: {ex}").ConfigureAwait(false);
            return ExitCodes.StartFailed;
        }
    }
}
