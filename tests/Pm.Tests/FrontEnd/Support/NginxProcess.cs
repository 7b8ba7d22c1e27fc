using System.Diagnostics;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// A real nginx (Debian's nginx-light) in front of one FastCGI Unix socket, as it runs in production: the master
/// as root, its worker as <c>www-data</c> (<c>user www-data;</c>), <c>daemon off;</c>, its config, pid file, logs and
/// temp paths in the test's directory, HTTP on a free local port. Disposal stops the master (SIGQUIT, nginx's
/// graceful stop) and fails the test if it or any of its workers is left.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly Process _master;
    private readonly string _directory;

    private NginxProcess(Process master, string directory, int port)
    {
        _master = master;
        _directory = directory;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public string ErrorLog => File.Exists(Path.Combine(_directory, "error.log")) ? File.ReadAllText(Path.Combine(_directory, "error.log")) : "";

    public int Port { get; }

    /// <summary>Starts nginx passing every request to <paramref name="fastCgiSocket"/>; returns once its worker runs.</summary>
    public static Task<NginxProcess> StartAsync(TestDirectory dir, string fastCgiSocket) =>
        StartWithServerAsync(dir, $$"""
            location / {
                fastcgi_pass unix:{{fastCgiSocket}};
                fastcgi_param REQUEST_METHOD $request_method;
                fastcgi_param QUERY_STRING $query_string;
                fastcgi_param SCRIPT_NAME $fastcgi_script_name;
                fastcgi_param REQUEST_URI $request_uri;
                fastcgi_param SERVER_PROTOCOL $server_protocol;
                fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            }
            """);

    /// <summary>
    /// As <see cref="StartAsync(TestDirectory, string)"/> with <paramref name="server"/> inside its server block, after
    /// listen, and <paramref name="http"/> (e.g. an upstream block) in the http block before it.
    /// </summary>
    public static async Task<NginxProcess> StartWithServerAsync(TestDirectory dir, string server, string http = "")
    {
        Identity.IsRoot.Should().BeTrue("nginx's master must run as root to start its worker as www-data");
        var directory = Directory.CreateDirectory(dir.File("nginx")).FullName;
        var port = FrontEndServer.FreePort();
        var pidFile = Path.Combine(directory, "nginx.pid");
        var config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, $$"""
            user www-data;
            daemon off;
            master_process on;
            worker_processes 1;
            pid {{pidFile}};
            error_log {{directory}}/error.log info;
            events { worker_connections 64; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/client_body;
                fastcgi_temp_path {{directory}}/fastcgi_temp;
                proxy_temp_path {{directory}}/proxy_temp;
                uwsgi_temp_path {{directory}}/uwsgi_temp;
                scgi_temp_path {{directory}}/scgi_temp;
            {{http}}
                server {
                    listen 127.0.0.1:{{port}};
            {{server}}
                }
            }
            """);
        var info = new ProcessStartInfo("/usr/sbin/nginx", ["-p", directory, "-c", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var master = Process.Start(info)!;
        master.OutputDataReceived += (_, _) => { };
        master.ErrorDataReceived += (_, _) => { };
        master.BeginOutputReadLine();
        master.BeginErrorReadLine();
        var nginx = new NginxProcess(master, directory, port);
        try
        {
            // The pid file is written once the listening sockets are open; the worker is forked after it.
            await Eventually.Until(() => master.HasExited || (File.Exists(pidFile) && Workers(master.Id).Count > 0), Wait);
            master.HasExited.Should().BeFalse("nginx started; its error log:\n{0}", nginx.ErrorLog);
            Workers(master.Id).Should().OnlyContain(w => OwnerOf(w.Pid) == 33, "the worker runs as www-data");
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }

        return nginx;
    }

    private static List<ProcessScan.Proc> Workers(int master) => ProcessScan.ChildrenOf(master).Where(p => p.State != 'Z').ToList();

    /// <summary>The real uid of a process (the Uid: line of /proc/PID/status).</summary>
    private static uint? OwnerOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line is null ? null : uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        var workers = _master.HasExited ? [] : Workers(_master.Id).Select(w => w.Pid).ToList();
        if (!_master.HasExited)
        {
            ChildProcess.SignalProcess(_master.Id, Signals.SIGQUIT);
            using var cts = new CancellationTokenSource(Wait);
            try
            {
                await _master.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _master.Kill(entireProcessTree: true);
                await _master.WaitForExitAsync();
            }
        }

        var left = new List<int>();
        await Eventually.Until(() => (left = workers.Where(ProcessScan.IsAlive).ToList()).Count == 0, TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        foreach (var pid in left)
        {
            ChildProcess.SignalProcess(pid, Signals.SIGKILL);
        }

        _master.Dispose();
        left.Should().BeEmpty("nginx's workers stop with their master");
    }
}
