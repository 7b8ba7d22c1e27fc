using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Pm.FrontEnd.Hosting;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Status;

namespace Pm.Cli;

/// <summary>
/// `pm web CONFIG [--listen HOST:PORT]`: one web process. Started by `pm serve` with the shared HTTP listening
/// socket on fd 0; by hand (development, tests) with --listen. SIGTERM, SIGINT and SIGQUIT stop it gracefully:
/// requests in flight finish (bounded by most of the PM's shutdown timeout), then it exits 0.
/// </summary>
public static class WebCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "the config file" };
        var listen = new Option<string?>("--listen") { HelpName = "HOST:PORT", Description = "HOST:PORT to listen on (without it, fd 0 must be a listening socket, as `pm serve` passes)" };
        var web = new Command("web", "one web process: HTTP to the config's apps (pm serve starts these)") { config, listen };
        web.SetAction((r, _) => RunAsync(r.GetValue(config)!, r.GetValue(listen)));
        return web;
    }

    public static async Task<int> RunAsync(string configPath, string? listen)
    {
        if (ConfigLoader.Load(configPath) is not { } config)
        {
            return ExitCodes.ConfigError;
        }

        // Before anything touches a socket: the socket engine reads its settings once.
        WebServer.PrepareProcess(config.FrontEnd.Processes);

        IPEndPoint? endPoint = null;
        if (listen is not null)
        {
            if (!TryParseEndPoint(listen, out endPoint))
            {
                await Console.Error.WriteLineAsync($"pm web: --listen '{listen}' must be HOST:PORT with an IP address (e.g. 127.0.0.1:8080)").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
        }
        else if (!IsListeningSocket(0))
        {
            await Console.Error.WriteLineAsync("pm web: fd 0 is not a listening socket; `pm serve` passes one, or give --listen HOST:PORT").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }

        Socket? fastCgi = null;
        if (config.FrontEnd.FastCgiListen is { } dispatch)
        {
            // `pm serve` passes the PM's socket on fd 4; a web process started by hand binds it itself.
            try
            {
                fastCgi = FrontEnd.Dispatch.DispatchListener.Inherited() ?? (listen is not null ? FrontEnd.Dispatch.DispatchListener.Open(dispatch) : null);
            }
            catch (SocketException e)
            {
                await Console.Error.WriteLineAsync($"pm web: cannot listen for FastCGI on {dispatch} (PmFastCgiListen): {e.Message}").ConfigureAwait(false);
                return ExitCodes.StartFailed;
            }

            if (fastCgi is null)
            {
                await Console.Error.WriteLineAsync($"pm web: PmFastCgiListen {dispatch} is set but fd {FrontEnd.Dispatch.DispatchListener.Descriptor} is not a listening socket; `pm serve` passes one, or give --listen HOST:PORT").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
        }

        StatusListenerSource? status = null;
        if (config.FrontEnd.StatusListen is { } statusAddress)
        {
            // `pm serve` passes the PM's socket on fd 5; a web process started by hand binds it itself (Kestrel does).
            status = StatusListener.Inherited() ? new StatusListenerSource(StatusListener.Descriptor, null)
                : listen is not null ? new StatusListenerSource(null, statusAddress) : null;
            if (status is null)
            {
                await Console.Error.WriteLineAsync($"pm web: PmStatusListen {statusAddress} is set but fd {StatusListener.Descriptor} is not a listening socket; `pm serve` passes one, or give --listen HOST:PORT").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
        }

        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
        await using var log = WebLog.Console();
        try
        {
            return await WebServer.RunAsync(new WebServerOptions
            {
                Config = config,
                Listen = endPoint,
                FastCgiListener = fastCgi,
                StatusListener = status,
                StatusPage = config.FrontEnd.StatusPage is not null || status is not null ? new StatusPage(config) : null,
                Log = log,

                // The PM sends SIGKILL after its shutdown timeout: finish within most of it.
                ShutdownTimeout = config.ShutdownTimeout * 0.8,
            }, stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            log.Write($"pm web {Environment.ProcessId}: cannot serve: {e.Message}");
            return ExitCodes.StartFailed;
        }
    }

    private static bool TryParseEndPoint(string text, out IPEndPoint? endPoint)
    {
        endPoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !IPAddress.TryParse(text[..colon].Trim('[', ']'), out var address) ||
            !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    private static bool IsListeningSocket(int fd)
    {
        try
        {
            using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
            return (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
