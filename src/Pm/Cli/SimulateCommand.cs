using Pm.Config;
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

    /// <summary>Each app gets the policy of the dynamic root it lives under (FastCgiConfig's for any other path).</summary>
    private static PolicyRunSpec FromConfig(PmConfig config) => new("config", (app, random) =>
    {
        var root = config.DynamicRoots.FirstOrDefault(r => app.StartsWith(r.Directory.TrimEnd('/') + "/", StringComparison.Ordinal));
        return root is not null
            ? PolicyCatalog.Create(root.Policy, random)
            : PolicyCatalog.Create(config.Dynamic.Policy, random);
    });
}
