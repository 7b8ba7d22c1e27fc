using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pm.TestApp;

/// <summary>
/// A child for real-process tests, with one behaviour per mode (the first argument):
///   serve                 block, accepting and closing connections on fd 0 (an idle app)
///   exit CODE [MS]        exit with CODE after MS milliseconds
///   crash-unless FILE     exit 3 at once unless FILE exists; then serve
///   ignore-term           ignore SIGTERM, start a grandchild (same process group) that ignores it too, then serve
///   grandchild            (used by ignore-term) ignore SIGTERM and sleep
///   say TEXT...           write each TEXT as a line to stdout, then one to stderr, then serve
///   env                   write every environment variable and the working directory as lines, then serve
///   pids FILE             append its pid and process group to FILE, then serve
///   mux                   a FastCGI responder that multiplexes (FCGI_MPXS_CONNS=1) on fd 0: "pid N"; ?hang waits
///                         for ever and ignores FCGI_ABORT_REQUEST (a request the app cannot be made to end)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "serve";
        switch (mode)
        {
            case "exit":
                if (args.Length > 2)
                {
                    Thread.Sleep(int.Parse(args[2]));
                }

                return int.Parse(args[1]);
            case "crash-unless":
                if (!File.Exists(args[1]))
                {
                    Console.Error.WriteLine($"crash-unless: {args[1]} is missing; exiting 3");
                    return 3;
                }

                return Serve();
            case "mux":
                Pm.Protocol.FastCgi.FastCgiServer.RunAsync(new Socket(new SafeSocketHandle(0, ownsHandle: false)), MultiplexAsync).GetAwaiter().GetResult();
                return 0;
            case "ignore-term":
                using (IgnoreTerm())
                {
                    // The grandchild gets our arguments too, so tests can find it by its command line.
                    var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["grandchild", .. args]) { UseShellExecute = false })!;
                    Console.WriteLine($"grandchild {child.Id}");
                    return Serve();
                }

            case "grandchild":
                using (IgnoreTerm())
                {
                    Thread.Sleep(Timeout.Infinite);
                    return 0;
                }

            case "say":
                foreach (var text in args.Skip(1))
                {
                    Console.WriteLine(text);
                }

                Console.Out.Flush();
                Console.Error.WriteLine("to stderr");
                return Serve();
            case "env":
                foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                {
                    Console.WriteLine($"env {e.Key}={e.Value}");
                }

                Console.WriteLine($"cwd {Environment.CurrentDirectory}");
                Console.Out.Flush();
                return Serve();
            case "pids":
                File.AppendAllText(args[1], $"{Environment.ProcessId} {getpgid(0)}\n");
                return Serve();
            default:
                return Serve();
        }
    }

    private static PosixSignalRegistration IgnoreTerm() =>
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);

    /// <summary>Accepts and closes connections on fd 0, like an app that answers nothing; exits 0 on SIGTERM.</summary>
    private static async ValueTask<int> MultiplexAsync(Pm.Protocol.FastCgi.FastCgiServerRequest request)
    {
        if ((request.Params.GetValue("QUERY_STRING") ?? "").Contains("hang", StringComparison.Ordinal))
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None); // deaf to the abort
        }

        request.Stdout.Write(System.Text.Encoding.ASCII.GetBytes($"Content-Type: text/plain\r\n\r\npid {Environment.ProcessId}\n"));
        return 0;
    }

    private static int Serve()
    {
        using var listener = new Socket(new SafeSocketHandle(0, ownsHandle: false));
        while (true)
        {
            try
            {
                listener.Accept().Dispose();
            }
            catch (SocketException)
            {
                Thread.Sleep(Timeout.Infinite);
            }
        }
    }

    [DllImport("libc")]
    private static extern int getpgid(int pid);
}
