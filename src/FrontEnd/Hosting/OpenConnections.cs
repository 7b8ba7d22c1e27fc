using Microsoft.AspNetCore.Connections;

namespace Pm.FrontEnd.Hosting;

/// <summary>
/// The HTTP connections a web process has open (a Kestrel connection middleware counts them), and whether it is
/// draining: stopping, so that every response closes its connection.
/// </summary>
public sealed class OpenConnections
{
    private int _count;
    private volatile bool _draining;

    public int Count => Volatile.Read(ref _count);

    public bool Draining
    {
        get => _draining;
        set => _draining = value;
    }

    /// <summary>The connection middleware: counts the connection for as long as it is open.</summary>
    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        Interlocked.Increment(ref _count);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _count);
        }
    };
}
