using System.Globalization;
using System.Net;
using Pm.Config;
using Pm.Engine;
using Pm.Simulation;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;
using Xunit.Abstractions;

namespace Pm.Tests.Dynamic;

/// <summary>
/// `pm simulate` exists to tune policies before production, so on a trace the PM recorded, with the PM's policy and
/// the spawn latency the PM measured, the simulator must decide what the PM decided. Decisions and counts are
/// compared, never times: on a loaded machine the PM's timings move, its decisions much less.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class SimulatorFidelityTests(ITestOutputHelper output)
{
    private const int BurstRequests = 16;
    private const string PolicyOptions = "-idleTimeout 1 -minClassProcesses 1 -spareProcesses 0";

    /// <summary>
    /// One request brings the app up, 16 concurrent requests of 100 ms scale it up, idleness scales it back to
    /// minClassProcesses. The recorded trace replayed through <see cref="SimulationRunner"/> must start and retire as
    /// many instances as the PM did, within ±max(1, 20%), and end at the same floor.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task Run_RecordedBurstWithThePmsPolicyAndSpawnLatency_SpawnsAndRetiresAsThePmDid()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var app = Path.Combine(root, "burst.fcgi");
        File.Copy(FrontEndApps.FcgiTest, app);
        var tracePath = dir.File("recorded.csv");
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            FastCgiConfig -appConnTimeout 15
            PmDynamicRoot /fcgi-bin/ {root} {PolicyOptions}
            """, 1, "--record-trace", tracePath);

        // mode=slow&n=1 flushes its header before sleeping, so the recorded service time is the 100 ms slept and the
        // queue time the wait (an app that answers at the end would have its whole answer counted as queue time).
        const string Url = "/fcgi-bin/burst.fcgi?mode=slow&n=1&ms=100";
        (await server.Client.GetStringAsync(Url)).Should().Contain("chunk 1");
        var answers = await Task.WhenAll(Enumerable.Range(0, BurstRequests).Select(async _ =>
        {
            using var response = await server.Client.GetAsync(Url);
            return response.StatusCode;
        }));
        answers.Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.OK));
        var startLatency = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Load!["startLatency"];

        // Idle: the PM scales back to its floor.
        var deadline = DateTime.UtcNow + FrontEndServer.Wait;
        while (DateTime.UtcNow < deadline && ((await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Count > 1
            || Count(server.Pm, $"app {app}: policy demand: retiring pid") < Count(server.Pm, $"app {app}: started pid") - 1))
        {
            await Task.Delay(100);
        }

        var pmSpawns = Count(server.Pm, $"app {app}: started pid");
        var pmRetirements = Count(server.Pm, $"app {app}: policy demand: retiring pid");
        var pmFloor = (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Count;
        pmSpawns.Should().BeGreaterThan(2, "the burst scaled the app up; otherwise there is nothing to compare");

        var trace = TraceReader.ReadFile(tracePath);
        trace.Requests.Should().HaveCount(BurstRequests + 1, "the PM records every completed request");
        var policyRoot = PmConfig.Load(dir.File("pm.conf")).DynamicRoots.Single();
        var report = SimulationRunner.Run(new SimulationSpec(trace, [PolicyRunSpec.FromSettings(policyRoot.Policy)])
        {
            SpawnLatency = new FixedSpawnLatency(TimeSpan.FromSeconds(startLatency)),
            AppConnTimeout = TimeSpan.FromSeconds(15),
            CoolDown = TimeSpan.FromSeconds(10),
        }).Single();

        var because = string.Create(CultureInfo.InvariantCulture,
            $"the PM started {pmSpawns} and retired {pmRetirements} (spawn latency {startLatency * 1000:0.0} ms); the simulator decided:\n{string.Join('\n', report.DecisionLog)}\nPM log:\n{string.Join('\n', server.Pm.Lines.Where(l => l.Contains($"app {app}:", StringComparison.Ordinal)))}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PM: {pmSpawns} spawns, {pmRetirements} retirements, floor {pmFloor}; sim: {report.Spawns} spawns, {report.Kills} kills, floor {report.Spawns - report.Kills}; spawn latency {startLatency * 1000:0.0} ms"));
        report.Spawns.Should().BeInRange(pmSpawns - Tolerance(pmSpawns), pmSpawns + Tolerance(pmSpawns), because);
        report.Kills.Should().BeInRange(pmRetirements - Tolerance(pmRetirements), pmRetirements + Tolerance(pmRetirements), because);
        pmFloor.Should().Be(1, "minClassProcesses 1");
        (report.Spawns - report.Kills).Should().Be(pmFloor, "the simulator scales back to the PM's floor: " + because);
    }

    /// <summary>±max(1, 20%) of a count.</summary>
    private static int Tolerance(int count) => Math.Max(1, (int)Math.Floor(count * 0.2));

    private static int Count(PmProcess pm, string text) => pm.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));
}
