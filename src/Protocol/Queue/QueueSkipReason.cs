namespace Pm.Protocol.Queue;

/// <summary>Why the decoder skipped bytes. A merged run of skips keeps the reason of its first part.</summary>
public enum QueueSkipReason
{
    /// <summary>Bytes that do not start with the record magic.</summary>
    Garbage,

    /// <summary>Magic present, but a version this decoder does not know.</summary>
    UnsupportedVersion,

    /// <summary>Magic present, but an unknown kind byte.</summary>
    UnknownKind,

    /// <summary>Length or path length out of range, or inconsistent with each other and the kind.</summary>
    BadLength,

    /// <summary>Well-formed header, but the CRC-32 does not match.</summary>
    BadChecksum,

    /// <summary>Checksum correct, but the path is not valid UTF-8 or contains NUL. The whole record is skipped.</summary>
    InvalidPath,

    /// <summary>Checksum correct, but a duration is negative. The whole record is skipped.</summary>
    InvalidDuration,

    /// <summary>The data ended inside a record (a short write, or a writer that does not write whole records).</summary>
    Truncated,
}
