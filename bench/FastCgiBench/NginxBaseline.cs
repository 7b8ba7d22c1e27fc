using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace FastCgiBench;

/// <summary>
/// The reference point: wrk → nginx → the same application pool, nginx keeping its FastCGI connections
/// (upstream keepalive, fastcgi_keep_conn on).
/// </summary>
internal static partial class NginxBaseline
{
    public static async Task<double?> RunAsync(string directory, string fastCgiSocket, int connections, TimeSpan duration, int workers)
    {
        if (!File.Exists("/usr/sbin/nginx") || !File.Exists("/usr/bin/wrk"))
        {
            Console.WriteLine("  nginx or wrk missing: no baseline");
            return null;
        }

        var port = FreePort();
        var config = Path.Combine(directory, "nginx.conf");

        // Run as root, nginx's workers would switch to nobody and lose access to the app's socket in our temp dir.
        var user = Environment.UserName == "root" ? "user root;" : string.Empty;
        File.WriteAllText(config, $$"""
            {{user}}
            daemon off;
            worker_processes {{workers}};
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/client_body;
                fastcgi_temp_path {{directory}}/fastcgi_temp;
                proxy_temp_path {{directory}}/proxy_temp;
                uwsgi_temp_path {{directory}}/uwsgi_temp;
                scgi_temp_path {{directory}}/scgi_temp;
                upstream app {
                    server unix:{{fastCgiSocket}};
                    keepalive {{connections}};
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        fastcgi_pass app;
                        fastcgi_keep_conn on;
                        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
                        fastcgi_param QUERY_STRING $query_string;
                        fastcgi_param REQUEST_METHOD $request_method;
                        fastcgi_param CONTENT_TYPE $content_type;
                        fastcgi_param CONTENT_LENGTH $content_length;
                        fastcgi_param SCRIPT_NAME $fastcgi_script_name;
                        fastcgi_param REQUEST_URI $request_uri;
                        fastcgi_param SERVER_PROTOCOL $server_protocol;
                        fastcgi_param REMOTE_ADDR $remote_addr;
                        fastcgi_param SERVER_NAME $server_name;
                        fastcgi_param HTTP_HOST $http_host;
                    }
                }
            }
            """);
        using var nginx = Process.Start(new ProcessStartInfo("/usr/sbin/nginx", ["-p", directory, "-c", config]) { RedirectStandardError = true })!;
        try
        {
            await WaitUntilListeningAsync(port);
            using var wrk = Process.Start(new ProcessStartInfo("/usr/bin/wrk", ["-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", $"http://127.0.0.1:{port}/index.php?id=42"])
            {
                RedirectStandardOutput = true,
            })!;
            var output = await wrk.StandardOutput.ReadToEndAsync();
            await wrk.WaitForExitAsync();
            var match = RequestsPerSecond().Match(output);
            var errors = NonSuccess().Match(output);
            if (errors.Success)
            {
                Console.WriteLine($"  wrk: {errors.Value.Trim()}");
            }

            return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        finally
        {
            nginx.Kill(entireProcessTree: true);
            await nginx.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task WaitUntilListeningAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (attempt < 200)
            {
                await Task.Delay(25);
            }
        }
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses: \d+")]
    private static partial Regex NonSuccess();
}
