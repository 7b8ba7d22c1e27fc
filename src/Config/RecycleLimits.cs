using System.Globalization;

namespace Pm.Config;

/// <summary>
/// When an instance is recycled (replaced by a fresh one, new one first, then retired once idle): after a number of
/// requests, and when its private memory passes a limit. Off (zero) unless set.
/// </summary>
/// <param name="MaxRequests">-max-requests: requests (connections taken on fd 0) after which the instance is recycled; 0 = off.</param>
/// <param name="MaxRequestsJitter">-max-requests-jitter: each instance's limit is MaxRequests plus 0..this many more, uniformly, so a pool does not recycle at once.</param>
/// <param name="MemoryLimitBytes">-memory-limit: private memory (USS, summed over the instance's process group) above which it is recycled; 0 = off.</param>
/// <param name="MemoryCheckInterval">-memory-check-interval: how often private memory is sampled.</param>
public sealed record RecycleLimits(long MaxRequests, long MaxRequestsJitter, long MemoryLimitBytes, TimeSpan MemoryCheckInterval)
{
    public static readonly RecycleLimits None = new(0, 0, 0, TimeSpan.FromSeconds(5));

    public bool Any => MaxRequests > 0 || MemoryLimitBytes > 0;

    /// <summary>Reads the options; a bad -memory-limit is reported through <paramref name="error"/>.</summary>
    public static RecycleLimits From(OptionValues o, Action<string> error) =>
        new RecycleLimits(o.Integer("max-requests"), o.Integer("max-requests-jitter"), 0, TimeSpan.FromSeconds(o.Decimal("memory-check-interval")))
            .WithMemoryLimit(o, error);

    /// <summary>These limits with the options a PmDynamicRoot sets itself.</summary>
    public RecycleLimits OverriddenBy(OptionValues root, Action<string> error)
    {
        var limits = this with
        {
            MaxRequests = root.Has("max-requests") ? root.Integer("max-requests") : MaxRequests,
            MaxRequestsJitter = root.Has("max-requests-jitter") ? root.Integer("max-requests-jitter") : MaxRequestsJitter,
            MemoryCheckInterval = root.Has("memory-check-interval") ? TimeSpan.FromSeconds(root.Decimal("memory-check-interval")) : MemoryCheckInterval,
        };
        return root.Has("memory-limit") ? limits.WithMemoryLimit(root, error) : limits;
    }

    /// <summary>The limit one instance gets: MaxRequests plus its jitter; 0 when off.</summary>
    public long RequestLimitFor(Random random) =>
        MaxRequests <= 0 ? 0 : MaxRequests + (MaxRequestsJitter > 0 ? random.NextInt64(MaxRequestsJitter + 1) : 0);

    /// <summary>
    /// Reads a size: a whole number of bytes, or with a suffix k, M, G (powers of 1024, as php.ini and nginx read
    /// them; "B" after the suffix is allowed: 256MB). Null when the text is not one.
    /// </summary>
    public static long? ParseSize(string text)
    {
        var t = text.Trim();
        if (t.EndsWith('B') || t.EndsWith('b'))
        {
            t = t[..^1];
        }

        long unit = 1;
        if (t.Length > 0 && char.ToUpperInvariant(t[^1]) is 'K' or 'M' or 'G' or 'T')
        {
            unit = char.ToUpperInvariant(t[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            t = t[..^1];
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / unit)
        {
            return null;
        }

        return n * unit;
    }

    private RecycleLimits WithMemoryLimit(OptionValues o, Action<string> error)
    {
        if (o.Text("memory-limit") is not { } text)
        {
            return this;
        }

        if (ParseSize(text) is not { } bytes)
        {
            error($"-memory-limit \"{text}\" is not a size (e.g. 256M, 1G, or a number of bytes)");
            return this;
        }

        if (bytes is > 0 and < 1L << 20)
        {
            error($"-memory-limit \"{text}\" is under 1M: every instance would be recycled at once");
            return this;
        }

        return this with { MemoryLimitBytes = bytes };
    }
}
