using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Supervision;

/// <summary>
/// Issue 9 end to end, through `pm serve` with the libfcgi test app under load: exact per-instance request counts
/// (libpm-shim.so's, checked against the app's own), -max-requests with jitter, -memory-limit on private memory,
/// each recycling replacement first and without one failed request.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed partial class RecyclingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    public async Task MaxRequestsWithJitter_OnFourInstancesUnderLoad_EachServesItsLimitExactly_NoneFails()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 4 -url /t -max-requests 50 -max-requests-jitter 10");
        var first = await ReadyInstancesAsync(server.Pm, app, 4);
        first.Should().OnlyContain(i => i.RequestLimit >= 50 && i.RequestLimit <= 60);

        var load = await LoadAsync(server.Client, workers: 16, total: 600, _ => "/t?mode=count", pace: TimeSpan.Zero);

        load.Failures.Should().BeEmpty("a recycling loses no request");
        var own = load.Bodies.Select(b => CountAnswer().Match(b)).Select(m => (Pid: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            Count: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).GroupBy(x => x.Pid).ToDictionary(g => g.Key, g => g.Max(x => x.Count));
        own.Values.Sum().Should().Be(600, "every answer came from an instance counting it once");

        // Every instance the load recycled: its exit line carries the shim's count, which is the app's own and within its limit.
        await WaitUntil(() => ExitCounts(server.Pm).Count >= 8, Wait);
        var exited = ExitCounts(server.Pm);
        exited.Should().HaveCountGreaterThanOrEqualTo(8, "600 requests over 4 instances of limit 50..60 recycle every slot at least twice");
        foreach (var (pid, count) in exited)
        {
            count.Should().BeInRange(50, 60, $"pid {pid} served its -max-requests 50 plus its jitter");
            own.Should().ContainKey(pid).WhoseValue.Should().Be(count, $"the PM's count for pid {pid} is the app's own");
        }

        var limits = server.Pm.Lines.Select(l => RecycleLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        limits.Distinct().Should().HaveCountGreaterThan(1, "the jitter spreads the limits (all of 8+ draws equal has odds under 1e-7)");
        ReplacementsCameFirst(server.Pm);

        var live = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances;
        foreach (var i in live.Where(i => own.ContainsKey(i.Pid)))
        {
            i.Requests.Should().Be(own[i.Pid], "pm status shows, for a live instance, the app's own count");
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task GrowingApp_PastItsMemoryLimit_IsRecycledReplacementFirst_NoneFails_AndTheLogSaysWhy()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir,
            $"FastCgiServer {app} -processes 2 -url /t -memory-limit 40M -memory-check-interval 0.2");
        var first = (await ReadyInstancesAsync(server.Pm, app, 2)).Select(i => i.Pid).ToList();

        // 2 MB more private memory per request, about 20 requests a second per instance: past 40 MB in about a second.
        var load = await LoadAsync(server.Client, workers: 2, total: 240, _ => "/t?mode=grow&n=2", pace: TimeSpan.FromMilliseconds(25));

        load.Failures.Should().BeEmpty("a recycling loses no request");
        var line = await server.Pm.WaitForLineAsync(l => l.Contains("recycling pid", StringComparison.Ordinal), Wait);
        line.Should().MatchRegex(@"private memory \d+\.\d MB > -memory-limit 40.0 MB after \d+ requests");
        first.Should().OnlyContain(pid => !ChildProcess.GroupExists(pid), "both first instances grew past the limit and were retired");
        ReplacementsCameFirst(server.Pm);
        server.Pm.Lines.Should().NotContain(l => l.Contains("did not exit within its grace period", StringComparison.Ordinal), "a retired instance stops at its SIGTERM");
        // A recycling may still be under way (old and new both live a moment): the slots settle at 2.
        await WaitUntil(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances is { Count: 2 } live
            && live.All(i => i.State != "stopping"), Wait);
    }

    [Fact(Timeout = 120_000)]
    public async Task PreloadingApp_WhoseChildrenShareItsPages_IsNotRecycled_ThoughItsRssIsOverTheLimit()
    {
        using var dir = new TestDirectory();
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir,
            $"FastCgiServer {app} -processes 1 -url /t -memory-limit 32M -memory-check-interval 0.2 -initial-env FCGI_TEST_PRELOAD_MB=48 -initial-env FCGI_TEST_CHILDREN=2");
        var pid = (await ReadyInstancesAsync(server.Pm, app, 1)).Single().Pid;

        for (var i = 0; i < 20; i++)
        {
            (await server.Client.GetStringAsync("/t?mode=count")).Should().StartWith("pid=");
        }

        Pm.Status.InstanceStatus instance = null!;
        await WaitUntil(async () =>
        {
            instance = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single();
            return instance.MemorySampledAt is not null;
        }, Wait);
        var first = instance.MemorySampledAt!.Value;
        await WaitUntil(async () =>
        {
            instance = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Single();
            return instance.MemorySampledAt >= first + TimeSpan.FromSeconds(1); // five more samples, each judged against the limit
        }, Wait);

        instance.Pid.Should().Be(pid, "shared copy-on-write pages are nobody's private memory");
        instance.RssBytes.Should().BeGreaterThan((3 * 48L - 8) << 20, "the parent and its two children each map the 48 MB");
        instance.PrivateBytes.Should().BeLessThan(32L << 20);
        instance.PssBytes.Should().BeInRange(40L << 20, 80L << 20, "PSS divides the shared pages among their sharers");
        instance.Requests.Should().Be(20, "the children's accepts count for their instance");
        server.Pm.Lines.Should().NotContain(l => l.Contains("recycling", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task DynamicApp_WithMaxRequestsFromItsRoot_IsRecycledReplacementFirst_AtItsLimitExactly()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "count.fcgi"));
        await using var server = await FrontEndServer.StartAsync(dir, $"PmDynamicRoot /fcgi-bin/ {root} -max-requests 5");

        var load = await LoadAsync(server.Client, workers: 1, total: 30, _ => "/fcgi-bin/count.fcgi?mode=count", pace: TimeSpan.FromMilliseconds(20));

        load.Failures.Should().BeEmpty();
        await WaitUntil(() => ExitCounts(server.Pm).Count >= 4, Wait);
        ExitCounts(server.Pm).Values.Should().OnlyContain(n => n == 5, "each recycled instance served exactly its -max-requests 5");
        server.Pm.Lines.Should().Contain(l => l.Contains("recycling pid", StringComparison.Ordinal) && l.Contains("its replacement starts first", StringComparison.Ordinal));
        ReplacementsCameFirst(server.Pm);
    }

    private sealed record LoadResult(List<string> Bodies, List<string> Failures);

    /// <summary>GETs from <paramref name="workers"/> concurrent clients until <paramref name="total"/> are done; every failure is kept.</summary>
    private static async Task<LoadResult> LoadAsync(HttpClient client, int workers, int total, Func<int, string> path, TimeSpan pace)
    {
        var bodies = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                try
                {
                    using var response = await client.GetAsync(path(n));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        bodies.Add(body);
                    }
                    else
                    {
                        failures.Add($"request {n}: {(int)response.StatusCode} {body}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Add($"request {n}: {ex.Message}");
                }

                if (pace > TimeSpan.Zero)
                {
                    await Task.Delay(pace);
                }
            }
        }));
        return new LoadResult([.. bodies], [.. failures]);
    }

    /// <summary>The request counts of the exited instances, from their exit lines.</summary>
    private static Dictionary<int, long> ExitCounts(PmProcess pm) => pm.Lines.Select(l => ExitLine().Match(l)).Where(m => m.Success)
        .ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    /// <summary>Each retired pid's replacement was started (and so logged) before the old one was told to retire.</summary>
    private static void ReplacementsCameFirst(PmProcess pm)
    {
        var lines = pm.Lines.ToList();
        var retired = lines.Select((l, i) => (Match: RetireLine().Match(l), Index: i)).Where(x => x.Match.Success).ToList();
        retired.Should().NotBeEmpty();
        foreach (var (match, index) in retired)
        {
            var pid = match.Groups[1].Value;
            lines.Take(index).Should().Contain(l => l.Contains($"replacing pid {pid} (", StringComparison.Ordinal),
                $"pid {pid}'s replacement started before it was retired");
        }
    }

    private static Task<IReadOnlyList<Pm.Status.InstanceStatus>> ReadyInstancesAsync(PmProcess pm, string app, int count) =>
        Eventually.ReadyInstancesAsync(pm, app, count, Wait);

    private static Task WaitUntil(Func<bool> condition, TimeSpan timeout) => Eventually.Until(condition, timeout);

    private static Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout) => Eventually.Until(condition, timeout);

    [GeneratedRegex(@"^pid=(\d+) count=(\d+)")]
    private static partial Regex CountAnswer();

    [GeneratedRegex(@"pid (\d+) exited: .* and (\d+) requests")]
    private static partial Regex ExitLine();

    [GeneratedRegex(@"retiring pid (\d+) \(")]
    private static partial Regex RetireLine();

    [GeneratedRegex(@"-max-requests: \d+ of its (\d+) requests taken")]
    private static partial Regex RecycleLine();
}
