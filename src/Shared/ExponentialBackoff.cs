namespace Pm.Shared;

/// <summary>
/// The one exponential backoff: <c>first × 2^doublings</c>, never more than a cap. Pure; jitter, when a caller wants
/// it, is applied by the caller to the result (callers differ: the restart backoff draws from the upper half, the
/// demand policy spreads around the value).
/// <para>
/// Shared source, not a shared assembly: Policy depends on nothing but the BCL and Protocol on Posix alone, so no
/// project lies below both. Each project that backs off compiles this file in as its own internal type
/// (<c>&lt;Compile Include="../Shared/ExponentialBackoff.cs" Link="Shared/ExponentialBackoff.cs" /&gt;</c>).
/// </para>
/// </summary>
internal static class ExponentialBackoff
{
    /// <summary>Doublings beyond this count as this many: the product stays far inside a double, and any cap is reached long before.</summary>
    public const int MaxDoublings = 30;

    /// <summary><paramref name="first"/> × 2^<paramref name="doublings"/>, at most <paramref name="cap"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="doublings"/> is negative.</exception>
    public static TimeSpan Delay(TimeSpan first, int doublings, TimeSpan cap)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(doublings);
        var ticks = first.Ticks * Math.Pow(2, Math.Min(doublings, MaxDoublings));
        return ticks >= cap.Ticks ? cap : TimeSpan.FromTicks((long)ticks);
    }
}
