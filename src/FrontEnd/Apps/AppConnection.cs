using System.Net.Sockets;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// One FastCGI connection to an app, with what the front end knows about it: the socket (to find the answering
/// process), how many requests the pool has placed on it, and the process once it has been looked up.
/// </summary>
public sealed class AppConnection
{
    private string? _who;

    internal AppConnection(AppBackend app, Socket socket, FastCgiClientConnection client, bool shared)
    {
        App = app;
        Socket = socket;
        Client = client;
        Shared = shared;
        client.State = this;
    }

    public AppBackend App { get; }

    public FastCgiClientConnection Client { get; }

    internal Socket Socket { get; }

    /// <summary>A kept connection of a multiplexing app's pool (else: one request, then closed).</summary>
    public bool Shared { get; }

    /// <summary>Requests placed on this connection by the pool and not yet given back (guarded by the pool's lock).</summary>
    internal int Reserved { get; set; }

    /// <summary>When <see cref="Reserved"/> last fell to zero (a <see cref="TimeProvider"/> timestamp; guarded by the pool's lock).</summary>
    internal long IdleSince { get; set; }

    /// <summary>Requests ever placed on it: above one, a failure may be a stale kept connection.</summary>
    internal int Placed { get; set; }

    /// <summary>
    /// "APP[PID]" for a log line: the process is looked up once, while the connection is still open (call this before
    /// closing it), then cached. TCP apps are named by address; a process that cannot be found shows as "?".
    /// </summary>
    public string Who
    {
        get
        {
            var who = Volatile.Read(ref _who);
            if (who is not null)
            {
                return who;
            }

            who = App.Address.SocketPath is { } path
                ? $"{App.Name}[{PeerProcess.Find(Socket, path, App.IpcDir)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}]"
                : $"{App.Name}[{App.Address}]";
            Volatile.Write(ref _who, who);
            return who;
        }
    }

    /// <summary>Looks the process up now (the connection is about to close), for a log line written later.</summary>
    internal void ResolveWho() => _ = Who;
}
