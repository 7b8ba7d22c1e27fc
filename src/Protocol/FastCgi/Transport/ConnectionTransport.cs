using System.IO.Pipelines;
using System.Net.Sockets;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The two directions of one connected socket: a <see cref="PipeReader"/> that the connection's single read loop
/// owns, and a <see cref="RecordOutput"/> that request tasks share.
/// </summary>
internal sealed class ConnectionTransport
{
    private int _closed;

    public ConnectionTransport(Socket socket, int receiveBufferSize)
    {
        Socket = socket;
        // Not a NetworkStream: its socket's awaitable operations are made per socket, and a front end makes a socket
        // per request (SocketOperation).
        var stream = new SocketStream(socket);
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: receiveBufferSize, minimumReadSize: 2048, leaveOpen: true));
        Output = new RecordOutput(stream);
    }

    public Socket Socket { get; }

    public PipeReader Input { get; }

    public RecordOutput Output { get; }

    /// <summary>
    /// Ends both directions: shutdown makes a pending receive return end-of-stream, close frees the descriptor.
    /// Safe to call from any thread, any number of times. <paramref name="shutdown"/> false skips the shutdown (a
    /// system call) when no receive can be pending, e.g. the peer already ended the stream; a pending send is
    /// aborted by the close all the same.
    /// </summary>
    public void Close(Exception reason, bool shutdown = true)
    {
        Output.Fail(reason);
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            if (shutdown)
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already disconnected: nothing to shut down.
        }

        Socket.Dispose();
    }
}
