using System.Net.Sockets;
using Pm.Protocol.FastCgi;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// An in-process FastCGI app on a Unix socket, for tests without processes: a <see cref="FastCgiServer"/> behind an
/// accept loop that counts connections and can drop the first ones unanswered (an instance dying before its answer).
/// </summary>
public sealed class ScriptedApp : IAsyncDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly FastCgiServer _server;
    private readonly Task _accepting;
    private int _connections;
    private int _toDrop;

    public ScriptedApp(FastCgiRequestHandler handler, bool multiplex, int dropFirst = 0)
    {
        SocketPath = _dir.File("app.sock");
        _toDrop = dropFirst;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(256);
        _server = new FastCgiServer(handler, new FastCgiServerOptions { MultiplexConnections = multiplex, MaxConnections = multiplex ? 256 : 1 });
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    public string Directory => _dir.Path;

    /// <summary>The next <paramref name="count"/> connections are read and closed unanswered.</summary>
    public void DropNext(int count) => Volatile.Write(ref _toDrop, count);

    /// <summary>Connections accepted so far, dropped ones included.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _dir.Dispose();
    }

    private async Task AcceptAsync()
    {
        var serving = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }

            Interlocked.Increment(ref _connections);
            if (Interlocked.Decrement(ref _toDrop) >= 0)
            {
                // Read the request, then close without a word: what a crashing instance does.
                _ = DropAfterRequestAsync(socket);
                continue;
            }

            serving.Add(_server.ServeConnectionAsync(socket, _stop.Token));
        }

        await Task.WhenAll(serving);
    }

    private static async Task DropAfterRequestAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[65536];
            try
            {
                await socket.ReceiveAsync(buffer);
            }
            catch (SocketException)
            {
            }
        }
    }
}
