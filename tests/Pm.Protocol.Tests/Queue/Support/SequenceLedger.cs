using Pm.Protocol.Queue;
using Pm.QueueWriterTool;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>
/// Checks records written by pm-queuewriter: each (writer, thread) sequence must arrive exactly 0..n-1, once each,
/// in order, and every record must be intact (kind, uid, gid and durations match its sequence number).
/// </summary>
public static class SequenceLedger
{
    public static void ShouldBeExactlyOnceInOrder(IEnumerable<QueueRecord> received, IReadOnlyDictionary<(int Writer, int Thread), long> written)
    {
        var next = written.Keys.ToDictionary(k => k, _ => 0L);
        var problems = new List<string>();
        var index = 0;
        foreach (var r in received)
        {
            if (!QueueSequence.TryParse(r, out var w, out var t, out var seq))
            {
                problems.Add($"#{index}: not an intact pm-queuewriter record: {r}");
            }
            else if (!next.TryGetValue((w, t), out var expected))
            {
                problems.Add($"#{index}: from unknown writer {w} thread {t}");
            }
            else if (seq != expected)
            {
                problems.Add($"#{index}: writer {w} thread {t} sent {seq}, expected {expected} ({(seq < expected ? "duplicate or reordered" : "lost records before it")})");
                next[(w, t)] = Math.Max(expected, seq + 1);
            }
            else
            {
                next[(w, t)] = seq + 1;
            }

            index++;
            if (problems.Count > 20)
            {
                break;
            }
        }

        foreach (var (key, count) in written)
        {
            if (next[key] != count)
            {
                problems.Add($"writer {key.Writer} thread {key.Thread}: received up to {next[key]}, wrote {count}");
            }
        }

        problems.Should().BeEmpty();
    }
}
