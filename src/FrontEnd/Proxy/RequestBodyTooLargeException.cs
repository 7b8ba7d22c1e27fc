namespace Pm.FrontEnd.Proxy;

/// <summary>A request body past PmRequestBodyMax: answered 413, never sent to the app.</summary>
internal sealed class RequestBodyTooLargeException(long max)
    : IOException($"the request body is larger than PmRequestBodyMax ({max} bytes)")
{
    public long Max { get; } = max;
}
