namespace Pm.Protocol.FastCgi;

/// <summary>
/// Handles one request and returns its app status (0 for success), sent in END_REQUEST. The server ends the
/// STDOUT and STDERR streams itself after the handler returns, sending what is still buffered. An exception
/// is reported through <see cref="FastCgiServerOptions.OnError"/> and ends the request with app status 1.
/// </summary>
public delegate ValueTask<int> FastCgiRequestHandler(FastCgiServerRequest request);
