using System.Net;
using System.Net.Sockets;
using Pm.Protocol.FastCgi;
using Pm.Shared;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// Opens the socket to an app ourselves (rather than through the FastCGI client) so that the front end keeps the
/// socket: its inode is what finds the answering process for the log.
/// </summary>
public static class AppConnector
{
    /// <summary>
    /// The abstract Unix address a management connection (FCGI_GET_VALUES) is bound to before it connects, followed by
    /// pid/number: libpm-shim.so (src/Shim/pm-shim.c) reads it as the peer of the connection it accepted and does not
    /// count the connection as one of the instance's requests.
    /// </summary>
    public const string ManagementPeerPrefix = "pm-mgmt/";

    private static long _managementConnections;

    /// <summary>
    /// Connects to <paramref name="endPoint"/>. A positive <paramref name="timeout"/> (-appConnTimeout) bounds the
    /// connect; zero leaves it to the system (a Unix socket connects or fails at once; TCP waits for the kernel).
    /// </summary>
    /// <exception cref="FastCgiConnectException">Nothing accepts there, or the connect ran out of time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the client went away).</exception>
    /// <param name="management">A connection for management records only, not a request: bound to <see cref="ManagementPeerPrefix"/> first (Unix sockets).</param>
    public static async ValueTask<Socket> ConnectAsync(EndPoint endPoint, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken, bool management = false)
    {
        var socket = FastCgiClientConnection.CreateSocket(endPoint);
        try
        {
            if (management && endPoint is UnixDomainSocketEndPoint)
            {
                socket.Bind(new UnixDomainSocketEndPoint(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"\0{ManagementPeerPrefix}{Environment.ProcessId}/{Interlocked.Increment(ref _managementConnections)}")));
            }

            await FastCgiClientConnection.ConnectAsync(socket, endPoint, timeout, time, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (TimeoutException)
        {
            socket.Dispose();
            throw new FastCgiConnectException(endPoint, new TimeoutException($"connect did not complete within {DurationFormat.Seconds(timeout)} (-appConnTimeout)"));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new FastCgiConnectException(endPoint, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether a failed connect means the Unix socket is not there or nobody listens on it (a dynamic app to start).</summary>
    /// <remarks>.NET reports ENOENT from connect(2) on a Unix socket as AddressNotAvailable, ECONNREFUSED as ConnectionRefused.</remarks>
    public static bool IsAbsentOrRefused(FastCgiConnectException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.ConnectionRefused };
}
