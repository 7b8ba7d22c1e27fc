namespace Pm.Policy;

/// <summary>
/// The peak, over a sliding window, of a step function's per-second averages. Averaging first keeps momentary
/// coincidences (three Poisson arrivals at once) from holding instances for a whole window, while a sustained rise
/// still shows in full; the window supplies the scale-down hysteresis.
/// </summary>
internal sealed class PeakAverage
{
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(1);

    private readonly SlidingMax _completed = new(); // averages ×1000, so the integer deque keeps 3 decimals
    private DateTimeOffset? _lastAt;
    private int _lastValue;
    private DateTimeOffset _bucketStart;
    private double _integral; // value × seconds inside the current bucket up to _lastAt

    /// <summary>Records that the function has value <paramref name="value"/> from <paramref name="now"/> on.</summary>
    public void Add(DateTimeOffset now, int value)
    {
        if (_lastAt is not { } last)
        {
            _lastAt = now;
            _bucketStart = now;
            _lastValue = value;
            return;
        }

        if (now < last)
        {
            now = last; // inputs are in time order; tolerate equal or slightly stale times
        }

        var at = last;
        if (now >= _bucketStart + Bucket)
        {
            // Close the current bucket, then every whole bucket the unchanged value spanned (one sample for all).
            _integral += _lastValue * (_bucketStart + Bucket - at).TotalSeconds;
            _completed.Add(_bucketStart, (int)Math.Round(_integral / Bucket.TotalSeconds * 1000));
            _bucketStart += Bucket;
            var whole = (now - _bucketStart).Ticks / Bucket.Ticks;
            if (whole > 0)
            {
                _completed.Add(_bucketStart, _lastValue * 1000);
                _bucketStart += TimeSpan.FromTicks(whole * Bucket.Ticks);
            }

            at = _bucketStart;
            _integral = 0;
        }

        _integral += _lastValue * (now - at).TotalSeconds;
        _lastAt = now;
        _lastValue = value;
    }

    /// <summary>
    /// Peak of the completed buckets in the window and of the current bucket so far, counted over a whole bucket (the
    /// rest of the bucket as zero): it only grows within a bucket, so a momentary value cannot jump it.
    /// </summary>
    public double Peak(DateTimeOffset now, TimeSpan window)
    {
        _completed.Expire(now, window);
        var soFar = _integral;
        if (_lastAt is { } last && now > last)
        {
            soFar += _lastValue * (now - last).TotalSeconds;
        }

        return Math.Max(_completed.Max / 1000.0, soFar / Bucket.TotalSeconds);
    }

    /// <summary>When the peak may next fall: the end of the current bucket or the expiry of the completed maximum.</summary>
    public DateTimeOffset? NextChange(TimeSpan window)
    {
        if (_lastAt is null)
        {
            return null;
        }

        var bucketEnd = _bucketStart + Bucket;
        return _completed.MaxExpiresAt(window) is { } expires && expires < bucketEnd ? expires : bucketEnd;
    }
}
