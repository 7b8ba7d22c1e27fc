using System.Runtime.InteropServices;
using Pm.Protocol.FastCgi;

namespace Hello;

/// <summary>
/// A small FastCGI responder: the app Pm's demo configuration runs.
/// Started by Pm (or any FastCGI process manager) it serves the listening socket it finds on fd 0;
/// started by hand, it binds the address given with <c>--listen</c>.
/// SIGTERM or Ctrl-C stop it gracefully: no new connections, requests in flight finish, exit code 0.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var listener = ListenSocket.Open(args, Console.Error);
        if (listener is null)
        {
            Console.Error.WriteLine("usage: hello [--listen /path/to.sock | --listen 127.0.0.1:9000]");
            Console.Error.WriteLine("       (without --listen, fd 0 must be a listening socket)");
            return 2;
        }

        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we exit by ourselves, once the requests in flight are answered
            stopping.Cancel();
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var options = FastCgiServerOptions.Default with
        {
            OnError = error => Console.Error.WriteLine($"hello[{Environment.ProcessId}]: {error}"),
        };
        await FastCgiServer.RunAsync(listener, new HelloResponder(TimeProvider.System).HandleAsync, options, stopping.Token);
        return 0;
    }
}
