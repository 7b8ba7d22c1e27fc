namespace Pm.Scoreboard;

/// <summary>What one web process's scoreboard holds at one read: its apps' figures and its requests in flight.</summary>
public sealed record WebScores(int Pid, IReadOnlyDictionary<string, AppScores> Apps, IReadOnlyList<InFlightRequest> InFlight)
{
    /// <summary>
    /// Reads <paramref name="file"/>. Counters are read as they are (each a whole 64-bit value; the set of them may be a
    /// request apart, which a scrape does not mind); a slot whose sequence is odd or changed while it was read is left out.
    /// </summary>
    public static WebScores Read(ScoreboardFile file)
    {
        var pid = file.Int(ScoreboardLayout.HeaderPid);
        var apps = new Dictionary<string, AppScores>(StringComparer.Ordinal);
        var names = new string?[ScoreboardLayout.AppCapacity];
        for (var app = 0; app < ScoreboardLayout.AppCapacity; app++)
        {
            var at = ScoreboardLayout.AppOffset(app);
            if (Volatile.Read(ref file.Int(at + ScoreboardLayout.AppState)) != 1)
            {
                break; // records are taken in order
            }

            var name = file.Text(at + ScoreboardLayout.AppName, file.Int(at + ScoreboardLayout.AppNameLength), ScoreboardLayout.AppNameMax);
            names[app] = name;
            var scores = new AppScores
            {
                Requests = Volatile.Read(ref file.Long(at + ScoreboardLayout.AppRequests)),
                InFlight = Math.Max(0, Volatile.Read(ref file.Long(at + ScoreboardLayout.AppInFlight))),
            };
            ReadHistogram(file, at + ScoreboardLayout.AppQueueWait, scores.QueueWaitBuckets, out var waitNs, out var waitCount);
            ReadHistogram(file, at + ScoreboardLayout.AppServiceTime, scores.ServiceBuckets, out var serviceNs, out var serviceCount);
            (scores.QueueWaitNanoseconds, scores.QueueWaitCount, scores.ServiceNanoseconds, scores.ServiceCount) = (waitNs, waitCount, serviceNs, serviceCount);
            if (apps.TryGetValue(name, out var same))
            {
                same.AddCounters(scores); // a name cut to the record's size may repeat
                same.InFlight += scores.InFlight;
            }
            else
            {
                apps[name] = scores;
            }
        }

        var inFlight = new List<InFlightRequest>();
        for (var slot = 0; slot < ScoreboardLayout.SlotCapacity; slot++)
        {
            var at = ScoreboardLayout.SlotOffset(slot);
            ref var sequence = ref file.Int(at + ScoreboardLayout.SlotSequence);
            var before = Volatile.Read(ref sequence);
            var app = Volatile.Read(ref file.Int(at + ScoreboardLayout.SlotApp)) - 1;
            if ((before & 1) != 0 || app < 0 || app >= ScoreboardLayout.AppCapacity || names[app] is not { } appName)
            {
                continue;
            }

            var request = new InFlightRequest(appName, pid, file.Int(at + ScoreboardLayout.SlotDescriptor),
                file.Text(at + ScoreboardLayout.SlotMethod, file.Int(at + ScoreboardLayout.SlotMethodLength), ScoreboardLayout.SlotMethodMax),
                file.Text(at + ScoreboardLayout.SlotUri, file.Int(at + ScoreboardLayout.SlotUriLength), ScoreboardLayout.SlotUriMax),
                DateTimeOffset.FromUnixTimeMilliseconds(file.Long(at + ScoreboardLayout.SlotSince)));
            if (Volatile.Read(ref sequence) == before)
            {
                inFlight.Add(request);
            }
        }

        return new WebScores(pid, apps, inFlight);
    }

    private static void ReadHistogram(ScoreboardFile file, int at, long[] buckets, out long nanoseconds, out long count)
    {
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = Volatile.Read(ref file.Long(at + (i * 8)));
        }

        nanoseconds = Volatile.Read(ref file.Long(at + (ScoreboardLayout.Buckets * 8)));
        count = Volatile.Read(ref file.Long(at + ((ScoreboardLayout.Buckets + 1) * 8)));
    }
}
