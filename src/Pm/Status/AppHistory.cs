namespace Pm.Status;

/// <summary>
/// An app's last minutes for the status page's chart: a sample every <see cref="Every"/> over <see cref="Span"/>,
/// and the starts, stops, kills and exits of its instances. Both are fixed-size rings, so a PM that runs for months
/// holds the same few kilobytes per app.
/// </summary>
/// <remarks>
/// <see cref="Observe"/> is called at every health round (about once a second, after the kernel was asked who
/// holds a request); a sample keeps the peak busy and queue figures seen since the previous one, so that a burst
/// between two samples still shows, and the instance count as the interval ends. Time comes from the caller (the
/// loop's clock), so that this is pure. Runs on the supervisor loop only.
/// </remarks>
public sealed class AppHistory
{
    public static readonly TimeSpan DefaultSpan = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(5);

    /// <summary>Events kept at most: a crash loop restarting every 100 ms would otherwise fill memory, not the chart.</summary>
    public const int DefaultMaxEvents = 200;

    private readonly FixedRing<HistorySample> _samples;
    private readonly FixedRing<HistoryEvent> _events;
    private DateTimeOffset? _intervalStart;
    private int _peakBusy;
    private int _peakQueue;

    public AppHistory()
        : this(DefaultSpan, DefaultEvery, DefaultMaxEvents)
    {
    }

    public AppHistory(TimeSpan span, TimeSpan every, int maxEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(span, every);
        Span = span;
        Every = every;
        // One more than span / every, so that the oldest sample is as old as the span.
        _samples = new FixedRing<HistorySample>((int)Math.Ceiling(span / every) + 1);
        _events = new FixedRing<HistoryEvent>(maxEvents);
    }

    public TimeSpan Span { get; }

    public TimeSpan Every { get; }

    /// <summary>
    /// The app as it is now. The first call takes a sample at once (the chart starts when the PM does); later ones
    /// fold into the current interval, and the call that ends it (<see cref="Every"/> after the last sample) takes
    /// the sample. A clock that went back starts a new interval rather than leaving a gap forever.
    /// </summary>
    public void Observe(DateTimeOffset now, int instances, int busy, int queue)
    {
        _peakBusy = Math.Max(_peakBusy, busy);
        _peakQueue = Math.Max(_peakQueue, queue);
        if (_intervalStart is { } start && now - start < Every && now >= start)
        {
            return;
        }

        _samples.Add(new HistorySample(now, instances, _peakBusy, _peakQueue));
        _intervalStart = now;
        _peakBusy = 0;
        _peakQueue = 0;
    }

    /// <summary>Something done to one of its instances (<see cref="HistoryEvent.Kind"/>), and why.</summary>
    public void Record(DateTimeOffset at, string kind, int pid, string why) => _events.Add(new HistoryEvent(at, kind, pid, why));

    /// <summary>What is within <see cref="Span"/> of <paramref name="now"/>, oldest first.</summary>
    public AppHistoryReport Report(DateTimeOffset now)
    {
        var from = now - Span;
        return new AppHistoryReport(Span.TotalSeconds, Every.TotalSeconds,
            _samples.Items().Where(s => s.At >= from && s.At <= now).ToList(),
            _events.Items().Where(e => e.At >= from && e.At <= now).ToList());
    }
}
