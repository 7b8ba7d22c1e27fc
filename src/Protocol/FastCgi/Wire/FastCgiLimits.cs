namespace Pm.Protocol.FastCgi;

/// <summary>
/// Bounds on what a peer can make this side hold. Each is checked before the bytes it guards are copied:
/// a PARAMS record that would overflow <see cref="MaxParamsBytes"/> is rejected from its header alone.
/// </summary>
public sealed record FastCgiLimits
{
    public static FastCgiLimits Default { get; } = new();

    /// <summary>Largest PARAMS stream of one request (all its PARAMS records together).</summary>
    public int MaxParamsBytes { get; init; } = 256 * 1024;

    /// <summary>Largest name in a name-value pair (PARAMS, GET_VALUES, GET_VALUES_RESULT).</summary>
    public int MaxNameLength { get; init; } = 8 * 1024;

    /// <summary>Largest value in a name-value pair.</summary>
    public int MaxValueLength { get; init; } = 128 * 1024;

    /// <summary>
    /// Bytes of one request's incoming stream held for a reader that has not consumed them (STDIN and DATA on
    /// the server, STDOUT on the client). When reached, the connection stops reading from its socket until the
    /// reader catches up, so the peer is slowed by TCP/Unix-socket flow control instead of filling memory.
    /// </summary>
    public int MaxBufferedStreamBytes { get; init; } = 256 * 1024;

    internal void Validate()
    {
        if (MaxParamsBytes <= 0 || MaxNameLength <= 0 || MaxValueLength < 0 || MaxBufferedStreamBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(FastCgiLimits), this, "FastCGI limits must be positive");
        }
    }
}
