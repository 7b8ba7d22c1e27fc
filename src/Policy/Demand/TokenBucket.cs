namespace Pm.Policy;

/// <summary>
/// The spawn budget: up to <c>capacity</c> starts at once, refilled at <c>ratePerSecond</c>. Time comes from the
/// caller, so the bucket works with any clock, virtual ones included.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private double _tokens;
    private DateTimeOffset? _last;

    public TokenBucket(double capacity, double ratePerSecond)
    {
        _capacity = capacity;
        _ratePerSecond = ratePerSecond;
        _tokens = capacity;
    }

    public double Available(DateTimeOffset now)
    {
        Refill(now);
        return _tokens;
    }

    /// <summary>Takes up to <paramref name="wanted"/> whole tokens; returns how many it took.</summary>
    public int Take(int wanted, DateTimeOffset now)
    {
        Refill(now);
        // The epsilon absorbs floating-point refill error so that a token due exactly now is available now.
        var whole = (int)Math.Floor(_tokens + 1e-9);
        var taken = Math.Max(0, Math.Min(wanted, whole));
        _tokens = Math.Max(0, _tokens - taken);
        return taken;
    }

    /// <summary>When the next whole token will be available.</summary>
    public DateTimeOffset NextTokenAt(DateTimeOffset now)
    {
        Refill(now);
        if (_tokens + 1e-9 >= 1)
        {
            return now;
        }

        var ticks = (long)Math.Ceiling((1 - _tokens) / _ratePerSecond * TimeSpan.TicksPerSecond);
        return now + TimeSpan.FromTicks(Math.Max(1, ticks));
    }

    private void Refill(DateTimeOffset now)
    {
        if (_last is { } last && now > last)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - last).TotalSeconds * _ratePerSecond));
        }

        if (_last is null || now > _last.Value)
        {
            _last = now;
        }
    }
}
