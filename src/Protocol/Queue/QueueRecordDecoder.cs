using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Pm.Protocol.Queue;

/// <summary>
/// Decodes queue records from a byte stream that may contain anything: other writers' garbage, partial and
/// oversized records, bit flips. It never throws on input and never waits for bytes that cannot come: a length
/// is believed only after the header around it checks out, is at most <see cref="QueueRecordCodec.MaxRecordBytes"/>,
/// and the caller says (<c>isFinal</c>) when no more bytes are in flight, which turns an incomplete tail into a
/// skip. Anything that is not a valid record is skipped up to the next magic, counted, and reported through
/// <see cref="Skipped"/> with its stream offset.
/// </summary>
/// <remarks>
/// Stateful: the caller passes the unconsumed remainder back with the next bytes appended (the usual pipelines
/// loop), so that <see cref="Offset"/> tracks the stream. One decoder per stream; not thread-safe.
/// </remarks>
public sealed class QueueRecordDecoder
{
    private readonly PathCache _paths = new();
    private byte[]? _copy;
    private QueueSkip? _pending;

    public QueueRecordDecoder(QueueSource source, Action<QueueSkip>? skipped = null)
    {
        Source = source;
        Skipped = skipped;
    }

    public QueueSource Source { get; }

    /// <summary>Called once per run of skipped bytes, when the run ends (a good record follows, or input runs out).</summary>
    public Action<QueueSkip>? Skipped { get; set; }

    /// <summary>Stream offset of the first byte not yet consumed.</summary>
    public long Offset { get; private set; }

    public long Records { get; private set; }

    /// <summary>Every byte skipped, garbage and bad records alike.</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Candidates that started with the magic but failed a check (header, checksum, content, truncation).</summary>
    public long BadRecords { get; private set; }

    /// <summary>Restarts offsets at zero for a new stream (the next spool file). Counters keep counting.</summary>
    public void Reset()
    {
        FlushSkip();
        Offset = 0;
    }

    /// <summary>
    /// Takes one record off the front of buffer. Returns false when buffer is empty or holds only the start of a
    /// record; with <paramref name="isFinal"/> (no more bytes will follow these) an incomplete tail is skipped
    /// instead, so false then means buffer is empty. Skipped bytes are sliced off buffer too.
    /// </summary>
    public bool TryDecode(ref ReadOnlySequence<byte> buffer, bool isFinal, out QueueRecord record)
    {
        while (!buffer.IsEmpty)
        {
            // Work on a window of at most one maximal record. It is the first segment itself when that is long
            // enough (the common case); a record split across segments is copied, at most 4 KiB.
            var windowLength = (int)Math.Min(buffer.Length, QueueRecordCodec.MaxRecordBytes);
            ReadOnlySpan<byte> window;
            if (buffer.FirstSpan.Length >= windowLength)
            {
                window = buffer.FirstSpan[..windowLength];
            }
            else
            {
                _copy ??= new byte[QueueRecordCodec.MaxRecordBytes];
                buffer.Slice(0, windowLength).CopyTo(_copy);
                window = _copy.AsSpan(0, windowLength);
            }

            var step = Examine(window, isFinal, out record);
            if (step.Kind == StepKind.Record)
            {
                FlushSkip();
                Consume(ref buffer, step.Length);
                Records++;
                return true;
            }

            if (step.Kind == StepKind.NeedMore)
            {
                break;
            }

            if (step.BadRecord)
            {
                BadRecords++;
            }

            AddSkip(step.Length, step.Reason);
            Consume(ref buffer, step.Length);
        }

        FlushSkip();
        record = default;
        return false;
    }

    private Step Examine(ReadOnlySpan<byte> w, bool isFinal, out QueueRecord record)
    {
        record = default;
        if (w[0] != QueueRecordCodec.Magic0 || (w.Length >= 2 && w[1] != QueueRecordCodec.Magic1))
        {
            return Step.Skip(SkipToMagic(w, isFinal), QueueSkipReason.Garbage, badRecord: false);
        }

        // From here the window starts with the magic (or with its first byte at the very end of the data).
        // Each field is checked as soon as it is present, so garbage behind a stray magic is rejected without
        // waiting for bytes, and a length is trusted only once the fields before it made sense.
        if (w.Length >= 3 && w[2] != QueueRecordCodec.Version)
        {
            return Bad(w, isFinal, QueueSkipReason.UnsupportedVersion);
        }

        if (w.Length >= 4 && !QueueRecordCodec.IsKnownKind(w[3]))
        {
            return Bad(w, isFinal, QueueSkipReason.UnknownKind);
        }

        if (w.Length < QueueRecordCodec.PrefixBytes)
        {
            return isFinal ? Bad(w, isFinal, QueueSkipReason.Truncated) : Step.NeedMore;
        }

        var kind = (QueueRecordKind)w[3];
        var length = BinaryPrimitives.ReadUInt16LittleEndian(w[4..]);
        var pathLength = BinaryPrimitives.ReadUInt16LittleEndian(w[6..]);
        var fixedBytes = QueueRecordCodec.FixedBytes(kind);
        if (length > QueueRecordCodec.MaxRecordBytes || pathLength == 0
            || length != fixedBytes + pathLength + QueueRecordCodec.ChecksumBytes)
        {
            return Bad(w, isFinal, QueueSkipReason.BadLength);
        }

        if (w.Length < length)
        {
            return isFinal ? Bad(w, isFinal, QueueSkipReason.Truncated) : Step.NeedMore;
        }

        var body = w[..(length - QueueRecordCodec.ChecksumBytes)];
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(w[(length - QueueRecordCodec.ChecksumBytes)..]);
        if (Crc32.HashToUInt32(body) != crc)
        {
            return Bad(w, isFinal, QueueSkipReason.BadChecksum);
        }

        // The checksum vouches for the framing, so a record with bad content is skipped whole.
        var path = _paths.Get(w.Slice(fixedBytes, pathLength));
        if (path is null)
        {
            return Step.Skip(length, QueueSkipReason.InvalidPath, badRecord: true);
        }

        long queued = 0, served = 0;
        if (QueueRecordCodec.HasDurations(kind))
        {
            queued = BinaryPrimitives.ReadInt64LittleEndian(w[24..]);
            served = BinaryPrimitives.ReadInt64LittleEndian(w[32..]);
            if (queued < 0 || served < 0)
            {
                return Step.Skip(length, QueueSkipReason.InvalidDuration, badRecord: true);
            }
        }

        record = new QueueRecord(
            kind,
            path,
            BinaryPrimitives.ReadUInt32LittleEndian(w[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(w[12..]),
            BinaryPrimitives.ReadInt64LittleEndian(w[16..]),
            queued,
            served);
        return new Step(StepKind.Record, length, default, false);
    }

    // A candidate that started with the magic but failed: drop it up to the next magic after its first byte,
    // which may lie inside the bytes its bogus length claimed.
    private static Step Bad(ReadOnlySpan<byte> w, bool isFinal, QueueSkipReason reason) =>
        Step.Skip(SkipToMagic(w, isFinal), reason, badRecord: true);

    // How many bytes precede the next possible record start in w (w[0] itself is not one): always at least 1.
    // A lone first magic byte at the end may start a record still on its way, so it is kept unless the data is final.
    private static int SkipToMagic(ReadOnlySpan<byte> w, bool isFinal)
    {
        var from = 1;
        while (from < w.Length)
        {
            var i = w[from..].IndexOf(QueueRecordCodec.Magic0);
            if (i < 0)
            {
                return w.Length;
            }

            var at = from + i;
            if (at == w.Length - 1)
            {
                return isFinal ? w.Length : at;
            }

            if (w[at + 1] == QueueRecordCodec.Magic1)
            {
                return at;
            }

            from = at + 1;
        }

        return w.Length;
    }

    private void Consume(ref ReadOnlySequence<byte> buffer, long count)
    {
        buffer = buffer.Slice(count);
        Offset += count;
    }

    private void AddSkip(long length, QueueSkipReason reason)
    {
        SkippedBytes += length;
        if (_pending is { } p && p.Offset + p.Length == Offset)
        {
            _pending = p with { Length = p.Length + length };
            return;
        }

        FlushSkip();
        _pending = new QueueSkip(Source, Offset, length, reason);
    }

    private void FlushSkip()
    {
        if (_pending is { } p)
        {
            _pending = null;
            Skipped?.Invoke(p);
        }
    }

    private enum StepKind
    {
        Record,
        NeedMore,
        Skip,
    }

    private readonly record struct Step(StepKind Kind, int Length, QueueSkipReason Reason, bool BadRecord)
    {
        public static Step NeedMore => new(StepKind.NeedMore, 0, default, false);

        public static Step Skip(int length, QueueSkipReason reason, bool badRecord) => new(StepKind.Skip, length, reason, badRecord);
    }
}
