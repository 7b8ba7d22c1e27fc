using System.Net;
using Pm.Config;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Status;

namespace Pm.FrontEnd.Hosting;

/// <summary>What a web process serves and where.</summary>
public sealed class WebServerOptions
{
    public required PmConfig Config { get; init; }

    /// <summary>Where to listen; null: the listening socket the PM passed on fd 0 (shared by all web processes).</summary>
    public IPEndPoint? Listen { get; init; }

    /// <summary>The dispatcher's FastCGI listening socket (PmFastCgiListen), the PM's on fd 4; null: no dispatcher.</summary>
    public System.Net.Sockets.Socket? FastCgiListener { get; init; }

    /// <summary>The status listener (PmStatusListen): the PM's socket on fd 5, or an address to bind; null: none.</summary>
    public StatusListenerSource? StatusListener { get; init; }

    /// <summary>The status page (at PmStatusPage's path on the public listener, and on the status listener); null: nowhere.</summary>
    public IStatusPage? StatusPage { get; init; }

    public required WebLog Log { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a stop waits for requests in flight before it cuts them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(4);
}
