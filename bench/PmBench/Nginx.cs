using System.Diagnostics;

namespace Pm.Bench;

/// <summary>
/// nginx as the benchmarks run it: a config of our own in a directory of its own (pid, logs, temp paths there, so no
/// system file is touched), in the foreground, and FastCGI locations with the CGI/1.1 parameters a FastCGI app needs.
/// </summary>
public static class Nginx
{
    public const string Path = "/usr/sbin/nginx";

    /// <summary>A <c>location</c> passing requests to a FastCGI socket; <paramref name="documentRoot"/> sets SCRIPT_FILENAME (php-fpm needs it).</summary>
    public static string FastCgiLocation(string location, string socket, string? documentRoot = null) => $$"""
            location {{location}} {
                fastcgi_pass unix:{{socket}};
                {{(documentRoot is null ? "" : $"fastcgi_param SCRIPT_FILENAME {documentRoot}$fastcgi_script_name;")}}
                fastcgi_param GATEWAY_INTERFACE CGI/1.1;
                fastcgi_param SERVER_SOFTWARE nginx;
                fastcgi_param QUERY_STRING $query_string;
                fastcgi_param REQUEST_METHOD $request_method;
                fastcgi_param CONTENT_TYPE $content_type;
                fastcgi_param CONTENT_LENGTH $content_length;
                fastcgi_param SCRIPT_NAME $fastcgi_script_name;
                fastcgi_param PATH_INFO $fastcgi_path_info;
                fastcgi_param REQUEST_URI $request_uri;
                fastcgi_param DOCUMENT_URI $document_uri;
                fastcgi_param SERVER_PROTOCOL $server_protocol;
                fastcgi_param REQUEST_SCHEME $scheme;
                fastcgi_param REMOTE_ADDR $remote_addr;
                fastcgi_param REMOTE_PORT $remote_port;
                fastcgi_param SERVER_ADDR $server_addr;
                fastcgi_param SERVER_PORT $server_port;
                fastcgi_param SERVER_NAME $server_name;
                fastcgi_param REDIRECT_STATUS 200;
            }
        """;

    /// <summary>Writes ROOT/nginx.conf: listen on 127.0.0.1:PORT with WORKERS worker processes and the given locations.</summary>
    public static string WriteConfig(string root, int port, int workers, params string[] locations) =>
        WriteConfig(root, port, workers, upstreams: "", locations);

    /// <summary>As <see cref="WriteConfig(string, int, int, string[])"/>, with <c>upstream</c> blocks in the http block (for keepalive to a FastCGI socket).</summary>
    public static string WriteConfig(string root, int port, int workers, string upstreams, string[] locations)
    {
        Directory.CreateDirectory(root);
        var config = System.IO.Path.Combine(root, "nginx.conf");

        // Run as root, nginx's workers would switch to nobody and lose access to the app's socket in the IPC dir (0700).
        var user = Environment.UserName == "root" ? "user root;" : string.Empty;
        File.WriteAllText(config, $$"""
            {{user}}
            daemon off;
            worker_processes {{workers}};
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{root}}/client_body;
                fastcgi_temp_path {{root}}/fastcgi_temp;
                proxy_temp_path {{root}}/proxy_temp;
                uwsgi_temp_path {{root}}/uwsgi_temp;
                scgi_temp_path {{root}}/scgi_temp;
            {{upstreams}}
                server {
                    listen 127.0.0.1:{{port}};
            {{string.Join("\n", locations)}}
                }
            }
            """);
        return config;
    }

    /// <summary>The arguments that run nginx in the foreground on a config of <see cref="WriteConfig"/>.</summary>
    public static string[] Arguments(string config) => ["-p", System.IO.Path.GetDirectoryName(config)!, "-c", config];

    /// <summary>Starts nginx as a plain child of this process (stop it with SIGQUIT).</summary>
    public static Process Start(string config) =>
        Process.Start(new ProcessStartInfo(Path, Arguments(config)) { UseShellExecute = false })!;
}
