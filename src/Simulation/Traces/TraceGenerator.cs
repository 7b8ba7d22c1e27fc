using Pm.Engine;
namespace Pm.Simulation;

/// <summary>
/// Deterministic synthetic traces: Poisson arrivals (time-varying rates by thinning) and log-normal service times,
/// from a seeded <see cref="Random"/>, whose seeded sequence is stable across .NET versions. The shipped
/// examples/traces files are these with the default seeds.
/// </summary>
public static class TraceGenerator
{
    public const string DefaultApp = "/srv/fcgi-bin/app.fcgi";

    /// <summary>The shipped examples by file name (without .csv), with the description their header carries.</summary>
    public static IReadOnlyDictionary<string, (Func<Trace> Make, string Description)> Examples { get; } =
        new Dictionary<string, (Func<Trace>, string)>
        {
            ["steady"] = (() => Steady(), "steady: TraceGenerator.Steady(seed 1): 120 s at 10 requests/s, service ~50 ms"),
            ["burst"] = (() => Burst(), "burst: TraceGenerator.Burst(seed 2): 60 s at 5 requests/s, 160 requests/s from 20 s to 25 s, service ~50 ms"),
            ["diurnal"] = (() => Diurnal(), "diurnal: TraceGenerator.Diurnal(seed 3): 300 s, 2 to 40 requests/s and back along a cosine, service ~150 ms"),
            ["spike"] = (() => Spike(), "spike: TraceGenerator.Spike(seed 4): 90 s at 5 requests/s plus 150 requests within 0.2 s at 30 s, service ~50 ms"),
        };

    /// <summary>120 s at 10 requests/s, service around 50 ms: a constant light load (about 0.5 instances busy).</summary>
    public static Trace Steady(int seed = 1) =>
        Poisson(seed, TimeSpan.FromSeconds(120), _ => 10, 10, TimeSpan.FromMilliseconds(50));

    /// <summary>60 s at 5 requests/s with 5 s at 160 requests/s from t = 20 s (about 8 instances busy); service around 50 ms.</summary>
    public static Trace Burst(int seed = 2) =>
        Poisson(seed, TimeSpan.FromSeconds(60), t => t is >= 20 and < 25 ? 160 : 5, 160, TimeSpan.FromMilliseconds(50));

    /// <summary>A day squeezed into 300 s: 2 to 40 requests/s and back along a cosine, service around 150 ms.</summary>
    public static Trace Diurnal(int seed = 3) =>
        Poisson(seed, TimeSpan.FromSeconds(300), t => 2 + (38 * (1 - Math.Cos(2 * Math.PI * t / 300)) / 2), 40,
            TimeSpan.FromMilliseconds(150));

    /// <summary>90 s at 5 requests/s, plus 150 requests within 0.2 s at t = 30 s; service around 50 ms.</summary>
    public static Trace Spike(int seed = 4)
    {
        var random = new Random(seed);
        var requests = Poisson(random, TimeSpan.FromSeconds(90), _ => 5, 5, TimeSpan.FromMilliseconds(50)).ToList();
        for (var i = 0; i < 150; i++)
        {
            requests.Add(new TraceRequest(Round(TimeSpan.FromSeconds(30 + (0.2 * random.NextDouble()))), DefaultApp,
                Service(random, TimeSpan.FromMilliseconds(50))));
        }

        return new Trace(requests);
    }

    /// <summary>Poisson arrivals with rate <paramref name="rate"/>(t) per second, never above <paramref name="maxRate"/>.</summary>
    public static Trace Poisson(int seed, TimeSpan duration, Func<double, double> rate, double maxRate, TimeSpan medianService, string app = DefaultApp) =>
        new(Poisson(new Random(seed), duration, rate, maxRate, medianService, app));

    private static IEnumerable<TraceRequest> Poisson(
        Random random, TimeSpan duration, Func<double, double> rate, double maxRate, TimeSpan medianService, string app = DefaultApp)
    {
        var t = 0.0;
        var end = duration.TotalSeconds;
        var requests = new List<TraceRequest>();
        while (true)
        {
            t += -Math.Log(1 - random.NextDouble()) / maxRate;
            if (t >= end)
            {
                return requests;
            }

            // Thinning: keep an arrival of the max-rate process with probability rate(t)/maxRate.
            if (random.NextDouble() * maxRate <= rate(t))
            {
                requests.Add(new TraceRequest(Round(TimeSpan.FromSeconds(t)), app, Service(random, medianService)));
            }
        }
    }

    // Log-normal with sigma 0.3 around the median: most requests near it, a tail a few times longer.
    private static TimeSpan Service(Random random, TimeSpan median)
    {
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var ms = median.TotalMilliseconds * Math.Exp(0.3 * normal);
        return TimeSpan.FromTicks((long)Math.Round(ms * 10) * (TimeSpan.TicksPerMillisecond / 10));
    }

    // Microsecond resolution: what the file keeps, so a written and re-read trace is the same trace.
    private static TimeSpan Round(TimeSpan value) =>
        TimeSpan.FromTicks((long)Math.Round(value.Ticks / 10.0) * 10);
}
