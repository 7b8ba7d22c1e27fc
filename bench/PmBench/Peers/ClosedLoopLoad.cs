using System.Diagnostics;

namespace Pm.Bench.Peers;

/// <summary>
/// N clients, each sending its next GET as soon as the previous answer is in (keep-alive, one connection each), for
/// a fixed time; every answer's end time and latency is kept, so a rate can be read in any window (wrk gives only
/// totals). The HttpClient code is warmed against <see cref="LocalHttpResponder"/> first, so the first window measures
/// the server, not this process's JIT.
/// </summary>
public static class ClosedLoopLoad
{
    public sealed record Sample(double EndSeconds, double LatencyMs, bool Ok);

    public static async Task<List<Sample>> RunAsync(string url, int clients, TimeSpan duration, CancellationToken cancel)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var clock = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var samples = new List<Sample>();
            while (clock.Elapsed < duration)
            {
                var sent = clock.Elapsed.TotalMilliseconds;
                bool ok;
                try
                {
                    using var response = await http.GetAsync(url, cancel);
                    await response.Content.ReadAsByteArrayAsync(cancel);
                    ok = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                var end = clock.Elapsed.TotalMilliseconds;
                samples.Add(new Sample(end / 1000, end - sent, ok));
            }

            return samples;
        }));
        return [.. perClient.SelectMany(s => s).OrderBy(s => s.EndSeconds)];
    }

    /// <summary>A short run against an in-process responder: the client code is compiled before it measures anything.</summary>
    public static async Task WarmUpAsync(CancellationToken cancel)
    {
        await using var responder = LocalHttpResponder.Start();
        await RunAsync($"http://127.0.0.1:{responder.Port}/", 4, TimeSpan.FromMilliseconds(300), cancel);
        for (var i = 0; i < 20; i++)
        {
            await HttpProbe.GetAsync(responder.Port, "/", cancel);
        }
    }
}
