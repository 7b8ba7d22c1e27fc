using System.Collections.Concurrent;
using System.Net.Sockets;
using Pm.Protocol.FastCgi;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>
/// A <see cref="FastCgiServer"/> serving a Unix socket in a temp directory, with every reported error kept.
/// Disposing stops it and fails the test if the stop does not finish within the upper bound.
/// </summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Socket _listener;
    private int _disposed;

    private ServerHarness(FastCgiRequestHandler handler, FastCgiServerOptions? options)
    {
        SocketPath = _directory.File("app.sock");
        EndPoint = new UnixDomainSocketEndPoint(SocketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(EndPoint);
        _listener.Listen(64);
        var given = options ?? FastCgiServerOptions.Default;
        Server = new FastCgiServer(handler, given with
        {
            OnError = error =>
            {
                Errors.Enqueue(error);
                given.OnError?.Invoke(error);
            },
        });
        Serving = Server.ServeAsync(_listener, _stopping.Token);
    }

    public FastCgiServer Server { get; }

    public string SocketPath { get; }

    public UnixDomainSocketEndPoint EndPoint { get; }

    public Task Serving { get; }

    public ConcurrentQueue<FastCgiServerError> Errors { get; } = new();

    public static ServerHarness Start(FastCgiRequestHandler handler, FastCgiServerOptions? options = null) => new(handler, options);

    public Task<FastCgiClientConnection> ConnectAsync(FastCgiClientOptions? options = null) =>
        FastCgiClientConnection.ConnectAsync(EndPoint, options).WaitAsync(TestTimeouts.Operation);

    /// <summary>A raw socket to the server, for speaking bytes to it.</summary>
    public async Task<RawPeer> ConnectRawAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(EndPoint).WaitAsync(TestTimeouts.Operation);
        return new RawPeer(socket);
    }

    /// <summary>Begins the graceful stop; the caller awaits <see cref="Serving"/>.</summary>
    public void BeginStop() => _stopping.Cancel();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            await Serving.WaitAsync(TestTimeouts.Operation);
        }
        finally
        {
            _listener.Dispose();
            _directory.Dispose();
            _stopping.Dispose();
        }
    }
}
