using System.Net.Sockets;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.Peers.Support;

/// <summary>
/// nginx as the web server in front of a FastCGI socket: a temp config (daemon off, one process, every path in
/// the temp directory, HTTP on a Unix socket), and an <see cref="HttpClient"/> that talks to it.
/// Location <c>/keep/</c> uses an upstream with keepalive and <c>fastcgi_keep_conn on</c>; <c>/</c> opens a
/// connection per request; <c>/stream/</c> does not buffer the response.
/// </summary>
internal sealed class NginxFrontEnd : IAsyncDisposable
{
    private readonly SpawnedPeer _nginx;
    private readonly string _directory;

    private NginxFrontEnd(SpawnedPeer nginx, string directory, HttpClient client)
    {
        _nginx = nginx;
        _directory = directory;
        Client = client;
    }

    public HttpClient Client { get; }

    public string ErrorLog => File.Exists(Path.Combine(_directory, "error.log")) ? File.ReadAllText(Path.Combine(_directory, "error.log")) : string.Empty;

    public static async Task<NginxFrontEnd> StartAsync(string directory, string fastCgiSocket)
    {
        var httpSocket = Path.Combine(directory, "http.sock");
        var pidFile = Path.Combine(directory, "nginx.pid");
        var config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(config, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{pidFile}};
            error_log {{directory}}/error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/client_body;
                fastcgi_temp_path {{directory}}/fastcgi_temp;
                proxy_temp_path {{directory}}/proxy_temp;
                uwsgi_temp_path {{directory}}/uwsgi_temp;
                scgi_temp_path {{directory}}/scgi_temp;
                client_max_body_size 64m;
                upstream app_keep {
                    server unix:{{fastCgiSocket}};
                    keepalive 4;
                }
                server {
                    listen unix:{{httpSocket}};
                    fastcgi_param REQUEST_METHOD $request_method;
                    fastcgi_param QUERY_STRING $query_string;
                    fastcgi_param CONTENT_TYPE $content_type;
                    fastcgi_param CONTENT_LENGTH $content_length;
                    fastcgi_param SCRIPT_NAME $fastcgi_script_name;
                    fastcgi_param REQUEST_URI $request_uri;
                    fastcgi_param SERVER_PROTOCOL $server_protocol;
                    fastcgi_param GATEWAY_INTERFACE CGI/1.1;
                    fastcgi_param HTTP_X_TEST $http_x_test;
                    location / {
                        fastcgi_pass unix:{{fastCgiSocket}};
                    }
                    location /keep/ {
                        fastcgi_pass app_keep;
                        fastcgi_keep_conn on;
                    }
                    location /stream/ {
                        fastcgi_pass unix:{{fastCgiSocket}};
                        fastcgi_buffering off;
                    }
                }
            }
            """);
        var nginx = SpawnedPeer.Start("/usr/sbin/nginx", ["-p", directory, "-c", config], Path.Combine(directory, "nginx.out"));

        // nginx writes its pid file after opening its listening sockets: then it accepts.
        try
        {
            await Listeners.WaitForFileAsync(pidFile, TestTimeouts.Operation);
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(httpSocket), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = TestTimeouts.Operation };
        return new NginxFrontEnd(nginx, directory, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();

        // QUIT is nginx's graceful stop; the peer's disposal kills whatever is left and checks the group is gone.
        _nginx.Signal(Pm.Posix.Signals.SIGQUIT);
        await _nginx.WaitForExitAsync(TestTimeouts.Operation);
        await _nginx.DisposeAsync();
    }
}
