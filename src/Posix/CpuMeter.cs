namespace Pm.Posix;

/// <summary>
/// The share of the machine's CPU that was idle over about the last second (0 to 1, over all cores), from samples of
/// <see cref="CpuTimes"/> taken when asked and at least <see cref="SampleEvery"/> apart. Null until the samples span
/// <see cref="ShortestSpan"/>, and after a pause in asking longer than <see cref="Window"/> (no stale figure).
/// Not thread-safe: one caller (the PM's supervisor loop).
/// </summary>
public sealed class CpuMeter(Func<CpuTimes?> read)
{
    public static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan ShortestSpan = TimeSpan.FromMilliseconds(300);

    // Oldest first; at most about Window / SampleEvery + 2 entries, so removing from the front is cheap.
    private readonly List<(DateTimeOffset At, CpuTimes Times)> _samples = [];

    public CpuMeter()
        : this(CpuTimes.Read)
    {
    }

    /// <summary>Samples if due, then gives the idle share between the oldest sample within the window and the newest.</summary>
    public double? IdleShare(DateTimeOffset now)
    {
        if (_samples.Count == 0 || now - _samples[^1].At >= SampleEvery)
        {
            if (read() is { } times)
            {
                _samples.Add((now, times));
            }
        }

        // Keep one sample older than the window, so the span reaches back a whole window.
        var stale = 0;
        while (_samples.Count - stale > 2 && now - _samples[stale + 1].At >= Window)
        {
            stale++;
        }

        _samples.RemoveRange(0, stale);

        if (_samples.Count < 2)
        {
            return null;
        }

        var (oldAt, old) = _samples[0];
        var (newAt, @new) = _samples[^1];
        var span = newAt - oldAt;
        if (span < ShortestSpan || now - newAt > Window || span > Window * 2 || @new.Total <= old.Total)
        {
            return null;
        }

        return Math.Clamp((double)(@new.Idle - old.Idle) / (@new.Total - old.Total), 0, 1);
    }
}
