using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Pm.Config;
using Pm.Hosting;
using Pm.Logging;

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

        LogFile? logFile;
        try
        {
            logFile = config.LogFile is null ? null : LogFile.Open(config.LogFile, TimeProvider.System);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"pm: cannot start: {e.Message}").ConfigureAwait(false);
            return ExitCodes.StartFailed;
        }

        // Disposed after the host, so the host's last lines (shutdown complete) reach the file.
        await using (logFile)
        {
            using var host = BuildHost(config, services =>
            {
                services.AddSingleton(mode);
                services.AddHostedService(sp => sp.GetRequiredService<PmDaemon>());
            }, logFile);
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("pm");
            Action? reopen = null;
            if (logFile is not null)
            {
                logFile.Trouble = line => log.LogWarning("{Line}", line);
                reopen = () => _ = ReopenAsync(logFile, log);
            }

            return await RunHostAsync(host, () => _ = host.Services.GetRequiredService<PmDaemon>().ReloadAsync("SIGHUP"), reopen).ConfigureAwait(false);
        }
    }

    /// <summary>SIGUSR1 (logrotate's postrotate): reopen PmLogFile at its path, and say how it went in both places.</summary>
    private static async Task ReopenAsync(LogFile file, ILogger log)
    {
        if (await file.ReopenAsync().ConfigureAwait(false) is { } error)
        {
            log.LogWarning("SIGUSR1: cannot reopen the log file {Path}: {Error}; the log goes to the console only until a SIGUSR1 reopens it", file.Path, error);
        }
        else
        {
            log.LogInformation("SIGUSR1: log file reopened: {Path}", file.Path);
        }
    }

    /// <param name="logFile">PmLogFile, opened: every line also goes there.</param>
    public static IHost BuildHost(PmConfig config, Action<IServiceCollection> addServices, LogFile? logFile = null)
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
            // Our own formatter, given as an instance: the stock simple one prints an event id (pm[0]) the PM never sets.
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter>(
                new PmConsoleFormatter(TimeProvider.System, color: !Console.IsOutputRedirected)));
            builder.Logging.AddConsole(o => o.FormatterName = PmConsoleFormatter.FormatterName);
        }

        if (logFile is not null)
        {
            builder.Logging.AddProvider(new LogFileLoggerProvider(logFile, TimeProvider.System));
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
    /// <param name="reopen">What SIGUSR1 does (reopen PmLogFile); null: it is logged and changes nothing.</param>
    public static async Task<int> RunHostAsync(IHost host, Action? reload = null, Action? reopen = null)
    {
        try
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("pm");
            using var signals = new ShutdownSignals(lifetime, reload, line => log.LogWarning("{Line}", line), reopen);
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
