namespace Pm.Config;

/// <summary>
/// The front end: where it listens for HTTP, whether with TLS, how many web processes share the port, where they also
/// accept FastCGI from a web server in front, and what they tell apps.
/// </summary>
/// <param name="Tls">PmListen's -cert/-key/-http2; null: plain HTTP.</param>
/// <param name="FastCgiListen">PmFastCgiListen: where the dispatcher accepts FastCGI; null: not at all.</param>
/// <param name="FastCgiAccess">The access of the dispatcher's Unix socket.</param>
/// <param name="ServerName">PmServerName: SERVER_NAME for every app (nginx's server_name); null: the request's Host.</param>
/// <param name="BodyBuffer">PmRequestBodyBuffer: how much of a request body without a length is held in memory before the rest goes to a temporary file.</param>
/// <param name="BodyMax">PmRequestBodyMax: the largest request body (413 past it); 0 = no limit.</param>
public sealed record FrontEndConfig(
    string ListenHost,
    int ListenPort,
    int Processes,
    TlsSettings? Tls = null,
    AppAddress? FastCgiListen = null,
    SocketAccess? FastCgiAccess = null,
    string? ServerName = null,
    long BodyBuffer = FrontEndConfig.DefaultBodyBuffer,
    long BodyMax = FrontEndConfig.DefaultBodyMax)
{
    /// <summary>PmStatusListen: where the web processes serve the status page and metrics alone; null: nowhere.</summary>
    public AppAddress? StatusListen { get; init; }

    /// <summary>The access of the status listener's Unix socket.</summary>
    public SocketAccess? StatusAccess { get; init; }

    /// <summary>PmStatusPage: the path of the status page on the public listener; null: not served there.</summary>
    public string? StatusPage { get; init; }

    /// <summary>1 MiB, as nginx's client_body_buffer_size is 8-16k: here it also spares small chunked POSTs a file.</summary>
    public const long DefaultBodyBuffer = 1L << 20;

    /// <summary>1 GiB: far above PHP's post_max_size (8M) and upload limits, so it only stops a body without end.</summary>
    public const long DefaultBodyMax = 1L << 30;

    /// <summary>Memory held per body at most; past it a temporary file is the better place.</summary>
    public const long MaxBodyBuffer = 64L << 20;
}
