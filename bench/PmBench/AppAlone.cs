using System.Diagnostics;
using System.Net.Sockets;
using Pm.Posix;

namespace Pm.Bench;

/// <summary>
/// The floor a PM works against: an app started straight from the benchmark (posix_spawn, a fresh listening socket on
/// fd 0, its own process group, no PM) until it has answered one FastCGI request.
/// </summary>
public static class AppAlone
{
    /// <summary>FastCGI: BEGIN_REQUEST (id 1, RESPONDER, no KEEP_CONN), empty PARAMS, empty STDIN.</summary>
    public static readonly byte[] MinimalRequest =
    [
        1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
        1, 4, 0, 1, 0, 0, 0, 0,
        1, 5, 0, 1, 0, 0, 0, 0,
    ];

    /// <summary>Milliseconds from posix_spawn to the end of the app's first answer; the app is then killed and reaped.</summary>
    public static async Task<double> StartAndAnswerAsync(string app)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pm-bench-own-{Environment.ProcessId}.sock");
        File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        var watch = Stopwatch.StartNew();
        var pid = PosixSpawn.Start(new SpawnOptions { Path = app, Arguments = [app], Descriptors = [((int)listener.Handle, 0)] });
        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await client.SendAsync(MinimalRequest);
            var buffer = new byte[4096];
            while (await client.ReceiveAsync(buffer) > 0)
            {
            }
        }

        var elapsed = watch.Elapsed.TotalMilliseconds;
        ChildProcess.SignalProcess(pid, Signals.SIGKILL);
        while (ChildProcess.WaitPidExitedNoHang(pid) is null)
        {
            await Task.Delay(1);
        }

        File.Delete(path);
        return elapsed;
    }
}
