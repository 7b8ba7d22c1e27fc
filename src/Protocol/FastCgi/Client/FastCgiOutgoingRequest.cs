using System.Buffers;
using System.IO.Pipelines;

namespace Pm.Protocol.FastCgi;

/// <summary>What a client sends for one request. Immutable, so one instance may be reused.</summary>
public sealed class FastCgiOutgoingRequest
{
    public FastCgiRole Role { get; init; } = FastCgiRole.Responder;

    /// <summary>The CGI variables, sent as the PARAMS stream in this order (UTF-8).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    /// <summary>
    /// Name-value pairs already encoded (e.g. <see cref="FastCgiParams.Encoded"/> of a request this process received),
    /// sent as the PARAMS stream byte for byte instead of <see cref="Parameters"/>, which is then ignored. The pairs
    /// are not checked: they must be well formed.
    /// </summary>
    public ReadOnlyMemory<byte> EncodedParameters { get; init; }

    /// <summary>
    /// The request body, streamed into STDIN records as it is read, with backpressure from the socket. Read
    /// until it completes; it is not completed by the connection (the caller owns it). Null sends an empty STDIN.
    /// A <see cref="Stream"/> can be given as <c>PipeReader.Create(stream)</c>.
    /// </summary>
    public PipeReader? Body { get; init; }

    /// <summary>The FILTER role's DATA stream, sent after the body. Null sends an empty DATA for FILTER, nothing otherwise.</summary>
    public PipeReader? Data { get; init; }

    /// <summary>
    /// Receives STDERR content as it arrives, on the connection's read loop: it must not block, and the
    /// sequence is valid only during the call. Null discards STDERR.
    /// </summary>
    public Action<ReadOnlySequence<byte>>? StandardError { get; init; }
}
