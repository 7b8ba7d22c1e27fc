using System.Diagnostics;

namespace Pm.Bench;

/// <summary>
/// HAProxy as a reference hop: a TCP relay in C (mode tcp, one thread, as one nginx worker) from a Unix socket of
/// its own to an app's socket, which copies bytes without reading them. Nothing in user space can cost less per
/// request than that, so nginx → HAProxy → instances against nginx → instances is the most a hop between them can
/// reach on the machine the benchmark runs on. Its config, pid and socket live in a directory of its own; it runs in
/// the foreground as a child of the benchmark (stop it with <see cref="StopAsync"/>).
/// </summary>
public static class HaProxy
{
    public const string Path = "/usr/sbin/haproxy";

    public static bool Installed => File.Exists(Path);

    /// <summary>Writes ROOT/haproxy.cfg relaying unix:LISTEN to unix:TARGET and returns its path.</summary>
    public static string WriteTcpRelay(string root, string listen, string target)
    {
        Directory.CreateDirectory(root);
        var config = System.IO.Path.Combine(root, "haproxy.cfg");
        File.WriteAllText(config, $"""
            global
                nbthread 1
                maxconn 4096
                pidfile {root}/haproxy.pid
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
            frontend relay
                bind unix@{listen} mode 600
                default_backend app
            backend app
                server app unix@{target}

            """);
        return config;
    }

    /// <summary>
    /// Starts HAProxy in the foreground (-db) on a config of <see cref="WriteTcpRelay"/> and waits until its socket
    /// <paramref name="listen"/> is there.
    /// </summary>
    /// <exception cref="InvalidOperationException">HAProxy exited first (it said why on stderr).</exception>
    /// <exception cref="TimeoutException">It did not listen within 20 s.</exception>
    public static async Task<Process> StartAsync(string config, string listen)
    {
        var haproxy = Process.Start(new ProcessStartInfo(Path, ["-db", "-f", config]) { UseShellExecute = false })!;
        try
        {
            await BenchEnvironment.WaitForFileAsync(listen, TimeSpan.FromSeconds(20), haproxy);
            return haproxy;
        }
        catch
        {
            await StopAsync(haproxy);
            throw;
        }
    }

    /// <summary>SIGTERM (HAProxy's immediate stop), then waits for it.</summary>
    public static async Task StopAsync(Process haproxy)
    {
        if (!haproxy.HasExited)
        {
            Posix.ChildProcess.SignalProcess(haproxy.Id, Posix.Signals.SIGTERM);
        }

        await haproxy.WaitForExitAsync();
        haproxy.Dispose();
    }
}
