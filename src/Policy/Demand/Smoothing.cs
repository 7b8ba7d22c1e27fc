namespace Pm.Policy;

/// <summary>Exponential smoothing of the demand policy's measured times (service, queue, start latency).</summary>
internal static class Smoothing
{
    /// <summary>Weight of the newest sample.</summary>
    public const double Weight = 0.2;

    /// <summary>The smoothed value after <paramref name="sample"/>; the first sample is taken as it is.</summary>
    public static double Next(double? previous, double sample) =>
        previous is { } p ? p + (Weight * (sample - p)) : sample;
}
