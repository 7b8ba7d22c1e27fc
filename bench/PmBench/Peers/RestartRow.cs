using System.Diagnostics;
using Pm.Posix;

namespace Pm.Bench.Peers;

/// <summary>
/// Row 7: SIGKILL of a healthy instance → its replacement answered a FastCGI request on the app's socket (the socket
/// belongs to the PM, or to php-fpm's master, so our connect waits in its backlog while the replacement starts). The
/// clock runs from kill(); the old process is awaited dead (pidfd) first, so it cannot be the one answering.
/// pm: `pm run` with 5 static hello-c apps of one instance each, every option at its default, each killed once as
/// soon as it has answered: a first failure restarts at once, however young the instance (a second kill in a row of
/// the same slot would wait for the crash-loop backoff instead). php-fpm: pm = static with 1 child, killed 5 times; its master respawns it.
/// </summary>
public static class RestartRow
{
    public static async Task RunAsync(PeerSetup setup, PeersAvailable peers, PeerTable table, CancellationToken cancel)
    {
        Console.Error.WriteLine("peers: restart after SIGKILL, pm run");
        var (pmRecipe, sockets) = setup.PmRunRestart();
        var pm = new List<double>();
        await using (var stack = await Stack.StartAsync(pmRecipe, setup.Logs, cancel))
        {
            foreach (var socket in sockets)
            {
                await FastCgiProbe.AskAsync(socket, cancel); // every instance has answered: it runs
            }

            foreach (var socket in sockets)
            {
                pm.Add(await KillAndTimeReplacementAsync(() => FastCgiProbe.AskAsync(socket, cancel)));
            }
        }

        var php = new List<double>();
        (StackRecipe Recipe, string Socket)? fpm = peers.PhpFpm ? setup.PhpFpmStatic() : null;
        if (fpm is { } f)
        {
            Console.Error.WriteLine("peers: restart after SIGKILL, php-fpm");
            var parameters = new Dictionary<string, string>
            {
                ["SCRIPT_FILENAME"] = Path.Combine(setup.PhpRoot, "hello.php"),
                ["SCRIPT_NAME"] = "/hello.php",
                ["REQUEST_METHOD"] = "GET",
                ["SERVER_PROTOCOL"] = "HTTP/1.1",
                ["GATEWAY_INTERFACE"] = "CGI/1.1",
            };
            await using var stack = await Stack.StartAsync(f.Recipe, setup.Logs, cancel);
            await FastCgiProbe.AskAsync(f.Socket, parameters, cancel);
            for (var i = 0; i < PeerSetup.RestartApps; i++)
            {
                php.Add(await KillAndTimeReplacementAsync(() => FastCgiProbe.AskAsync(f.Socket, parameters, cancel)));
                await Task.Delay(300, cancel);
            }
        }

        table.Add("7. restart after SIGKILL of a healthy instance, ms", [
                PeerTable.Spread(pm) + " (pm run)", null, null,
                fpm is null ? peers.Missing(PeerTable.PhpFpm) : PeerTable.Spread(php) + " (pm = static, 1 child)"],
            fpm is null ? "" : $"/php-fpm {PeerTable.Ratio(PeerTable.Median(pm), PeerTable.Median(php))}",
            $"kill -9 → the replacement answered a FastCGI request on the app's socket (connect waits in the PM's / master's backlog); median [min–max] of {PeerSetup.RestartApps} kills. " +
            $"pm: {pmRecipe.Files}, 5 apps × 1 instance at default options, each killed once right after its first answer (a first failure restarts at once). " +
            $"php-fpm: {fpm?.Recipe.Files}, its one child killed {PeerSetup.RestartApps} times, 300 ms apart.");
    }

    /// <summary>Asks for the serving pid, SIGKILLs it, waits for it to be dead, asks again: ms from kill() to the new pid's answer.</summary>
    private static async Task<double> KillAndTimeReplacementAsync(Func<Task<string>> ask)
    {
        var pid = FastCgiProbe.PidOf(await ask());
        using var death = new Epoll();
        var pidfd = PidFd.Open(pid);
        death.Add(pidfd, 1);
        var watch = Stopwatch.StartNew();
        ChildProcess.SignalProcess(pid, Signals.SIGKILL);
        death.Wait(new ulong[1], 1000);
        FileDescriptor.Close(pidfd);
        var answer = await ask();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (FastCgiProbe.PidOf(answer) == pid)
        {
            throw new InvalidOperationException($"the killed process {pid} answered");
        }

        return elapsed;
    }
}
