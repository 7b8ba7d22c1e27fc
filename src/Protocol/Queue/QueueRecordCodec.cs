using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Pm.Protocol.Queue;

/// <summary>
/// The queue record wire format, version 1 (FORMAT.md beside this file has the rationale). All integers are
/// little-endian; a record is self-delimiting and never longer than PIPE_BUF, so one write(2) of it to a
/// FIFO is atomic.
/// <code>
///  offset size  field
///   0     2     magic         FE 51    (0xFE never occurs in UTF-8, so never inside a path)
///   2     1     version       01
///   3     1     kind          'S' start | 'T' more needed | 'C' complete | 'R' binary changed
///   4     2     length        u16, bytes of the whole record including magic and CRC: 29..4096
///   6     2     path length   u16, bytes of UTF-8 path, >= 1; length == fixed(kind) + path length + 4
///   8     4     uid           u32
///  12     4     gid           u32
///  16     8     timestamp     i64, unix microseconds, writer's clock
///  24     8     queue time    i64 microseconds, >= 0       ('C' only)
///  32     8     service time  i64 microseconds, >= 0       ('C' only)
///  fixed  n     path          UTF-8, no NUL                (fixed = 24, or 40 for 'C')
///  len-4  4     CRC-32        IEEE 802.3 (System.IO.Hashing.Crc32) of bytes [0, length - 4)
/// </code>
/// </summary>
public static class QueueRecordCodec
{
    public const byte Magic0 = 0xFE;
    public const byte Magic1 = 0x51;
    public const byte Version = 1;

    /// <summary>PIPE_BUF: the largest write a FIFO keeps atomic.</summary>
    public const int MaxRecordBytes = 4096;

    public const int HeaderBytes = 24;
    public const int CompleteExtraBytes = 16;
    public const int ChecksumBytes = 4;

    /// <summary>The longest path (UTF-8 bytes) a writer accepts: the same for every kind, so an app that can be started can also report completions.</summary>
    public const int MaxPathBytes = MaxRecordBytes - HeaderBytes - CompleteExtraBytes - ChecksumBytes;

    /// <summary>The shortest valid record: a one-byte path in a kind without durations.</summary>
    public const int MinRecordBytes = HeaderBytes + 1 + ChecksumBytes;

    /// <summary>Bytes that must be present before the length fields can be checked.</summary>
    internal const int PrefixBytes = 8;

    // Lone surrogates must be refused, not silently replaced by U+FFFD (which would name another file).
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bytes <see cref="Encode"/> will write for this record.</summary>
    public static int GetEncodedLength(in QueueRecord record) =>
        FixedBytes(record.Kind) + PathByteCount(record.Path) + ChecksumBytes;

    /// <summary>Writes the record into destination and returns its length.</summary>
    /// <exception cref="QueuePathTooLongException">The path does not fit in one record.</exception>
    /// <exception cref="ArgumentException">The record is default or its path is invalid, or destination is too small.</exception>
    public static int Encode(in QueueRecord record, Span<byte> destination)
    {
        if (!IsKnownKind((byte)record.Kind) || record.Path is null)
        {
            throw new ArgumentException("a default QueueRecord cannot be encoded; use QueueRecord.Start/MoreNeeded/Complete/BinaryChanged", nameof(record));
        }

        var fixedBytes = FixedBytes(record.Kind);
        var pathBytes = PathByteCount(record.Path);
        var length = fixedBytes + pathBytes + ChecksumBytes;
        if (destination.Length < length)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes; the record needs {length}", nameof(destination));
        }

        var d = destination[..length];
        d[0] = Magic0;
        d[1] = Magic1;
        d[2] = Version;
        d[3] = (byte)record.Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(d[4..], (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[6..], (ushort)pathBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], record.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], record.Gid);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], record.TimestampMicroseconds);
        if (HasDurations(record.Kind))
        {
            BinaryPrimitives.WriteInt64LittleEndian(d[24..], record.QueueTimeMicroseconds);
            BinaryPrimitives.WriteInt64LittleEndian(d[32..], record.ServiceTimeMicroseconds);
        }

        StrictUtf8.GetBytes(record.Path, d.Slice(fixedBytes, pathBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(d[(length - ChecksumBytes)..], Crc32.HashToUInt32(d[..(length - ChecksumBytes)]));
        return length;
    }

    /// <summary>Throws unless the path can be carried in a record.</summary>
    internal static void ValidatePath(string path) => _ = PathByteCount(path);

    internal static bool IsKnownKind(byte kind) =>
        kind is (byte)QueueRecordKind.Start or (byte)QueueRecordKind.MoreNeeded
            or (byte)QueueRecordKind.Complete or (byte)QueueRecordKind.BinaryChanged
            or (byte)QueueRecordKind.SlowRequest or (byte)QueueRecordKind.RequestTimedOut;

    /// <summary>Whether the kind carries the two 8-byte fields after the timestamp (C, L and X).</summary>
    internal static bool HasDurations(QueueRecordKind kind) =>
        kind is QueueRecordKind.Complete or QueueRecordKind.SlowRequest or QueueRecordKind.RequestTimedOut;

    internal static int FixedBytes(QueueRecordKind kind) =>
        HasDurations(kind) ? HeaderBytes + CompleteExtraBytes : HeaderBytes;

    private static int PathByteCount(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new ArgumentException("the app path is empty", nameof(path));
        }

        if (path.Contains('\0'))
        {
            throw new ArgumentException("the app path contains a NUL character", nameof(path));
        }

        int count;
        try
        {
            count = StrictUtf8.GetByteCount(path);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"the app path is not valid UTF-16 ({e.Message})", nameof(path), e);
        }

        if (count > MaxPathBytes)
        {
            throw new QueuePathTooLongException(count);
        }

        return count;
    }
}
