namespace Pm.FrontEnd.Proxy;

/// <summary>How one attempt to pass a request to its app ended: the HTTP proxy's and the FastCGI dispatcher's alike.</summary>
internal enum AttemptOutcome
{
    /// <summary>An answer (the app's or an error) went to the client, or the client left.</summary>
    Done,

    /// <summary>The connection was found closed when the request was sent: nothing reached the app.</summary>
    Stale,

    /// <summary>The request was sent; the connection closed before the first byte of the answer.</summary>
    ClosedBeforeAnswer,
}
