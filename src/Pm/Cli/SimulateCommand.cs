using Pm.Engine;
using Pm.Config;
using Pm.Dynamic;
using Pm.Policy;
using Pm.Simulation;

namespace Pm.Cli;

/// <summary>
/// `pm simulate --config C --trace T [--policy P ...]`: replays a trace through policies in virtual time and
/// prints, for each, waits, rejections, instance-seconds, spawns and kills, and writes an SVG chart.
/// Without --policy it runs the policies the config chooses for each app, and the three catalog defaults beside them.
/// </summary>
public static class SimulateCommand
{
    public static int Run(string configPath, string tracePath, IReadOnlyList<string> policies, string? chart, string? spawnLatency, int seed)
    {
        if (ConfigLoader.Load(configPath) is not { } config)
        {
            return ExitCodes.ConfigError;
        }

        Trace trace;
        SpawnLatencyModel latency;
        List<PolicyRunSpec> runs;
        try
        {
            trace = TraceReader.ReadFile(tracePath);
            latency = spawnLatency is null ? new FixedSpawnLatency(TimeSpan.FromSeconds(0.2)) : SpawnLatencyModel.Parse(spawnLatency);
            runs = policies.Count > 0
                ? policies.Select(PolicyRunSpec.Parse).ToList()
                : [FromConfig(config), .. PolicyCatalog.Names.Select(n => PolicyRunSpec.FromCatalog(n))];
        }
        catch (Exception ex) when (ex is TraceFormatException or PolicyConfigurationException or FormatException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"pm simulate: {ex.Message}");
            return ExitCodes.ConfigError;
        }

        var appConnTimeout = config.Dynamic.Request.AppConnTimeout;
        var spec = new SimulationSpec(trace, runs)
        {
            SpawnLatency = latency,
            AppConnTimeout = appConnTimeout > TimeSpan.Zero ? appConnTimeout : config.Dynamic.Request.IdleTimeout,
            Seed = seed,
        };
        var reports = SimulationRunner.Run(spec);
        SimulationReportPrinter.Print(Console.Out, reports);
        var chartPath = chart ?? Path.ChangeExtension(Path.GetFileName(tracePath), ".svg");
        SvgChart.WriteFile(chartPath, reports, $"{Path.GetFileName(tracePath)}: instances and queue length");
        Console.WriteLine($"chart: {Path.GetFullPath(chartPath)}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// As in the PM: one policy per dynamic root, governing every app under it; apps under no root share one more,
    /// with FastCgiConfig's policy.
    /// </summary>
    private static PolicyRunSpec FromConfig(PmConfig config)
    {
        const string Unrooted = "FastCgiConfig";
        DynamicRootConfig? RootOf(string app) =>
            config.DynamicRoots.FirstOrDefault(r => app.StartsWith(r.Directory.TrimEnd('/') + "/", StringComparison.Ordinal));
        return new PolicyRunSpec("config", (group, random) =>
            PolicyCatalog.Create(config.DynamicRoots.FirstOrDefault(r => DynamicInstancePool.GroupName(r) == group)?.Policy ?? config.Dynamic.Policy, random))
        {
            GroupOf = app => RootOf(app) is { } root ? DynamicInstancePool.GroupName(root) : Unrooted,
        };
    }
}
