using System.Globalization;

namespace Pm.Bench;

/// <summary>
/// The PM's own resident memory and CPU while it supervises many idle instances (libfcgi hello, all blocked in
/// accept): RSS from /proc/PID/status, CPU from utime+stime in /proc/PID/stat over a quiet period.
/// </summary>
public static class IdleFootprintBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var instances = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var dir = BenchEnvironment.WorkDirectory();
        var hello = BenchEnvironment.BuildHelloC(dir);
        var config = Path.Combine(dir, "idle.conf");
        await File.WriteAllTextAsync(config, $"""
            FastCgiIpcDir {dir}/ipc
            FastCgiServer {hello} -socket hello -processes {instances}
            """);
        var pm = BenchEnvironment.StartPm(config);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Children(pm.Id) < instances)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"only {Children(pm.Id)} of {instances} instances started");
                }

                await Task.Delay(50);
            }

            await Task.Delay(2000); // let start-up settle (JIT, logging)
            var cpu0 = CpuTicks(pm.Id);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var cpu1 = CpuTicks(pm.Id);
            var rssKb = StatusField(pm.Id, "VmRSS");
            var hwmKb = StatusField(pm.Id, "VmHWM");
            var threads = StatusField(pm.Id, "Threads");
            var cpuPercent = (cpu1 - cpu0) / 100.0 / seconds * 100; // clock ticks are 1/100 s
            Console.WriteLine($"PM supervising {instances} idle instances, measured over {seconds} s of quiet:");
            Console.WriteLine($"  RSS {rssKb / 1024.0:0.0} MB (peak {hwmKb / 1024.0:0.0} MB)   goal <= 30 MB (issue 12): {(rssKb / 1024.0 <= 30 ? "met" : "missed")} (RSS/goal {rssKb / 1024.0 / 30:0.00})");
            Console.WriteLine($"  CPU {cpuPercent:0.000}% ({cpu1 - cpu0} ticks of 10 ms)   threads {threads}");
            return 0;
        }
        finally
        {
            BenchEnvironment.Stop(pm);
        }
    }

    private static int Children(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length
        + Directory.GetDirectories($"/proc/{pid}/task").Where(t => !t.EndsWith("/" + pid, StringComparison.Ordinal))
            .Sum(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static long StatusField(int pid, string name)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
