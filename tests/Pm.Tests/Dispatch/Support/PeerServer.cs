using System.Diagnostics;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Dispatch.Support;

/// <summary>
/// A real web server (nginx, apache2) in front of the dispatcher: started in the foreground on a config of the test's
/// own, every file it writes in the test directory, HTTP on a free local port, and an <see cref="HttpClient"/> for it.
/// Disposal stops it with <see cref="StopSignal"/> and checks that none of its processes is left (their command lines
/// carry the config's path in the test directory).
/// </summary>
public sealed class PeerServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _marker;
    private readonly string _log;

    private PeerServer(Process process, string marker, string log, int port, int stopSignal)
    {
        _process = process;
        _marker = marker;
        _log = log;
        StopSignal = stopSignal;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public int StopSignal { get; }

    /// <summary>The server's error log, for a failed assertion's message.</summary>
    public string ErrorLog => File.Exists(_log) ? File.ReadAllText(_log) : "";

    /// <summary>Starts <paramref name="program"/> and waits until <paramref name="port"/> accepts connections.</summary>
    public static async Task<PeerServer> StartAsync(string program, string[] arguments, string marker, string errorLog, int port, int stopSignal)
    {
        var info = new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        var server = new PeerServer(process, marker, errorLog, port, stopSignal);
        try
        {
            await Eventually.Until(() =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{program} exited {process.ExitCode}: {stderr.Result}\n{server.ErrorLog}");
                }

                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    probe.Connect(System.Net.IPAddress.Loopback, port);
                    return true;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            ChildProcess.SignalProcess(_process.Id, StopSignal);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        var left = await Leftovers.WaitUntilGoneAsync(_marker, TimeSpan.FromSeconds(10));
        _process.Dispose();
        left.Should().BeEmpty("the web server's processes are all gone after its stop");
    }
}
