using System.Globalization;
using Pm.Protocol.Queue;

namespace Pm.QueueWriterTool;

/// <summary>
/// The records the test writer sends, and how a test reads them back. Paths contain a space, '*', a newline and
/// non-ASCII UTF-8 on purpose: mod_fastcgi's text records broke on each of them.
/// </summary>
public static class QueueSequence
{
    public const string Prefix = "/srv/app dir*/\u00fcml\u00e4ut \u6f22\u5b57\n/";

    public static string Path(int writer, int thread, long seq) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}w{writer}/t{thread}/{seq}");

    public static QueueRecord Record(int writer, int thread, long seq, DateTimeOffset now)
    {
        var path = Path(writer, thread, seq);
        return (seq % 4) switch
        {
            0 => QueueRecord.Start(path, (uint)writer, (uint)thread, now),
            1 => QueueRecord.MoreNeeded(path, (uint)writer, (uint)thread, now),
            2 => QueueRecord.Complete(path, (uint)writer, (uint)thread, now, TimeSpan.FromMicroseconds(seq), TimeSpan.FromMicroseconds(2 * seq)),
            _ => QueueRecord.BinaryChanged(path, (uint)writer, (uint)thread, now),
        };
    }

    /// <summary>Parses a record written by <see cref="Record"/>; false if it is not one (or was altered).</summary>
    public static bool TryParse(in QueueRecord record, out int writer, out int thread, out long seq)
    {
        writer = thread = 0;
        seq = 0;
        if (!record.Path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = record.Path[Prefix.Length..].Split('/');
        if (parts.Length != 3 || parts[0].Length < 2 || parts[1].Length < 2
            || !int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out writer)
            || !int.TryParse(parts[1].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out thread)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out seq))
        {
            return false;
        }

        var expected = Record(writer, thread, seq, record.Timestamp);
        return record.Kind == expected.Kind && record.Uid == (uint)writer && record.Gid == (uint)thread
            && record.QueueTimeMicroseconds == expected.QueueTimeMicroseconds
            && record.ServiceTimeMicroseconds == expected.ServiceTimeMicroseconds;
    }
}
