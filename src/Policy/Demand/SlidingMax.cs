namespace Pm.Policy;

/// <summary>
/// The largest value of a step function over a sliding time window: each sample holds from its time until the next
/// sample. Amortised constant time: a deque whose values decrease from front to back, so the front is the maximum
/// and the back the newest sample.
/// </summary>
internal sealed class SlidingMax
{
    private readonly LinkedList<Sample> _samples = new();

    public void Add(DateTimeOffset at, int value)
    {
        if (_samples.Last is { } newest)
        {
            newest.Value.EndsAt = at;
        }

        while (_samples.Last is { } last && last.Value.Value <= value)
        {
            _samples.RemoveLast();
        }

        _samples.AddLast(new Sample(value));
    }

    /// <summary>Drops samples that stopped holding at or before <paramref name="now"/> minus <paramref name="window"/>.</summary>
    public void Expire(DateTimeOffset now, TimeSpan window)
    {
        var horizon = now - window;
        while (_samples.First is { } first && first.Value.EndsAt is { } end && end <= horizon)
        {
            _samples.RemoveFirst();
        }
    }

    /// <summary>The maximum over the window; 0 with no samples.</summary>
    public int Max => _samples.First?.Value.Value ?? 0;

    /// <summary>When the current maximum leaves the window unless a larger sample comes; null while it is the current value.</summary>
    public DateTimeOffset? MaxExpiresAt(TimeSpan window) =>
        _samples.First?.Value.EndsAt is { } end ? end + window : null;

    private sealed class Sample(int value)
    {
        public int Value { get; } = value;

        public DateTimeOffset? EndsAt { get; set; }
    }
}
