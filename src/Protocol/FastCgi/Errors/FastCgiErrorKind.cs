namespace Pm.Protocol.FastCgi;

/// <summary>What a peer did wrong. Carried by <see cref="FastCgiProtocolException"/>.</summary>
public enum FastCgiErrorKind
{
    /// <summary>The version byte of a header is not FCGI_VERSION_1.</summary>
    UnsupportedVersion,

    /// <summary>A fixed-size body (BEGIN_REQUEST, END_REQUEST, UNKNOWN_TYPE, ABORT_REQUEST) has the wrong length.</summary>
    InvalidContentLength,

    /// <summary>A management type with a non-zero request id, or an application type with id 0.</summary>
    InvalidRequestId,

    /// <summary>A record type this side of the connection never receives (e.g. STDIN sent to a client).</summary>
    UnexpectedRecordType,

    /// <summary>A record for a request id that was never begun or has already ended, where that is an error.</summary>
    UnknownRequestId,

    /// <summary>BEGIN_REQUEST for a request id that is still active.</summary>
    DuplicateRequestId,

    /// <summary>A record out of the order the spec prescribes (stream data after its end, STDIN before PARAMS ended).</summary>
    UnexpectedRecordOrder,

    /// <summary>The PARAMS stream of one request is longer than the configured limit.</summary>
    ParamsTooLarge,

    /// <summary>A name in a name-value pair is longer than the configured limit.</summary>
    NameTooLong,

    /// <summary>A value in a name-value pair is longer than the configured limit.</summary>
    ValueTooLong,

    /// <summary>Name-value pair lengths run past the end of the bytes that carry them.</summary>
    MalformedNameValuePair,

    /// <summary>A management reply (GET_VALUES_RESULT, UNKNOWN_TYPE) no query was waiting for.</summary>
    UnexpectedManagementRecord,

    /// <summary>The connection ended in the middle of a record.</summary>
    TruncatedRecord,
}
