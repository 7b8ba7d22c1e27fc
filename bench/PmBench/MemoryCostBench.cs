using System.Globalization;
using Pm.Posix;

namespace Pm.Bench;

/// <summary>
/// What the PM's memory sampling costs it (issue 9): `pm run` with one libfcgi hello-c app of 200 idle instances,
/// the core's CPU (utime + stime of all its threads, from /proc) over a window, with -memory-check-interval 1000
/// (no sample in the window), 5 (the default) and 1; the difference is the sampling's cost, as % of one core. The
/// health round and the rest of an idle PM are in every row alike. Prints numbers; asserts nothing.
/// <code>pm-bench memcost [instances] [seconds]</code>
/// </summary>
public static class MemoryCostBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var instances = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 200;
        var seconds = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var s) ? s : 30;
        var dir = BenchEnvironment.WorkDirectory();
        var hello = BenchEnvironment.BuildHelloC(dir);
        Console.WriteLine($"pm-bench memcost: {Environment.ProcessorCount} cores, {instances} idle hello-c instances, {seconds} s per row; pm {BenchEnvironment.PmKind}; work dir {dir}");
        Console.WriteLine($"{"-memory-check-interval",-24} {"core CPU %",11} {"samples",8} {"ms per sample",14}");
        double? baseline = null;
        foreach (var interval in new[] { 1000, 5, 1 })
        {
            var ipc = Path.Combine(dir, $"ipc-{interval}");
            var config = Path.Combine(dir, $"memcost-{interval}.conf");
            await File.WriteAllTextAsync(config, $"""
                FastCgiIpcDir {ipc}
                FastCgiServer {hello} -socket hello -processes {instances} -memory-check-interval {interval}
                """ + "\n");
            var pm = GroupedProcess.Start("pm", BenchEnvironment.Pm, ["run", config], Path.Combine(dir, $"memcost-{interval}.log"));
            try
            {
                await BenchEnvironment.WaitForFileAsync(Path.Combine(ipc, "hello"), TimeSpan.FromSeconds(60));
                var core = await CoreOfAsync(pm.Pid);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, 2 + instances / 50))); // every instance started and ready
                var before = CpuOf(core);
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                var used = CpuOf(core) - before;
                var percent = used.TotalSeconds / seconds * 100;
                var samples = interval >= seconds ? 0 : seconds / interval;
                var perSample = samples == 0 || baseline is null ? "-" : ((percent - baseline.Value) / 100 * seconds * 1000 / samples).ToString("0.0", CultureInfo.InvariantCulture);
                baseline ??= percent;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{interval + " s",-24} {percent,11:0.00} {samples,8} {perSample,14}"));
            }
            finally
            {
                await pm.StopAsync(Signals.SIGTERM, TimeSpan.FromSeconds(30));
            }
        }

        return 0;
    }

    /// <summary>The core: the watchdog's child (pm run re-executes itself as the PM proper).</summary>
    private static async Task<int> CoreOfAsync(int watchdog)
    {
        for (var i = 0; i < 200; i++)
        {
            foreach (var d in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { ParentPid: var parent } && parent == watchdog)
                {
                    return pid;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no child of pm {watchdog}");
    }

    private static TimeSpan CpuOf(int pid) => Stat(pid)?.Cpu ?? TimeSpan.Zero;

    private static Pm.Diagnosis.ProcStat? Stat(int pid) => Pm.Diagnosis.ProcStat.Read($"/proc/{pid}/stat");
}
