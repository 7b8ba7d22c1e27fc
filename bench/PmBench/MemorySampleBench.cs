using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Pm.Diagnosis;
using Pm.Posix;

namespace Pm.Bench;

/// <summary>
/// pm-bench memsample [instances] [rounds]: what sampling -memory-limit's figure costs. Starts INSTANCES real apps
/// (default 200), each in a process group of its own with a shared listening socket on fd 0 as the PM starts them
/// (but without a PM: only the sampling is timed), then times <see cref="MemoryUsage.OfGroups"/> over all the groups
/// for ROUNDS rounds (default 50), beside the /proc scan alone, the same reads through File.OpenHandle,
/// File.ReadAllBytes and File.ReadAllText, and /proc/PID/statm (RSS without a page-table walk: since RSS >= USS, a
/// cheap upper bound that could spare the walk for groups far under their limit). Prints ms per round (first,
/// median, 90th percentile), bytes allocated per round, and the CPU share one sample every 5 s would take.
/// Three fleets: the libfcgi test app alone; the same preloading 8 MB and forking two children (php-cgi's
/// PHP_FCGI_CHILDREN shape: three processes and a shared 8 MB per group); php-cgi when installed (a realistic
/// smaps: dozens of mappings). Everything started is SIGKILLed by group at the end, on Ctrl+C and on exit.
/// </summary>
public static class MemorySampleBench
{
    private const double IntervalMs = 5000;
    private const string PhpCgi = "/usr/bin/php-cgi";

    public static async Task<int> RunAsync(string[] args)
    {
        var instances = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        var dir = BenchEnvironment.WorkDirectory();
        var fcgi = BenchEnvironment.Compile(dir, "tests/Pm.Tests/Apps/fcgi-test.c", "fcgi-test");
        List<(string Name, string Path, string[] Environment, int PerGroup)> fleets =
        [
            ("fcgi-test (libfcgi C app), 1 process per group", fcgi, [], 1),
            ("fcgi-test FCGI_TEST_PRELOAD_MB=8 FCGI_TEST_CHILDREN=2, 3 processes per group", fcgi, ["FCGI_TEST_PRELOAD_MB=8", "FCGI_TEST_CHILDREN=2"], 3),
        ];
        if (File.Exists(PhpCgi))
        {
            fleets.Add(("php-cgi, 1 process per group", PhpCgi, [], 1));
        }

        // Ctrl+C, kill and a closed terminal: kill the fleet, then let the signal end the bench as it would have.
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Fleet.KillAll());
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Fleet.KillAll());
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => Fleet.KillAll());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Fleet.KillAll();
        Console.WriteLine($"Sampling the memory of {instances} process groups, {rounds} rounds per figure; CPU share at one sample per {IntervalMs / 1000:0} s:");
        foreach (var (name, path, environment, perGroup) in fleets)
        {
            using var fleet = Fleet.Start(dir, path, environment, instances);
            await fleet.WaitUntilSettledAsync(perGroup);
            Report(name, fleet, rounds);
        }

        return 0;
    }

    private static void Report(string name, Fleet fleet, int rounds)
    {
        var groups = fleet.Groups;
        var sample = MemoryUsage.OfGroups(groups);
        var processes = ProcStat.ScanGroups(groups).Sum(g => g.Value.Count);
        var total = sample.Values.Aggregate(default(MemoryUsage), (a, b) => a + b);
        Console.WriteLine();
        Console.WriteLine($"{name}: {sample.Count} groups, {processes} processes, {Directory.EnumerateDirectories("/proc").Count(d => char.IsAsciiDigit(Path.GetFileName(d)[0]))} in /proc");
        Console.WriteLine($"  summed: RSS {MemoryUsage.Size(total.RssBytes)}, PSS {MemoryUsage.Size(total.PssBytes)}, private {MemoryUsage.Size(total.PrivateBytes)}"
            + $"; per group RSS {MemoryUsage.Size(total.RssBytes / Math.Max(1, sample.Count))}, private {MemoryUsage.Size(total.PrivateBytes / Math.Max(1, sample.Count))}");
        (string Name, Func<int> Round)[] variants =
        [
            ("MemoryUsage.OfGroups (scan + smaps_rollup, stack buffer)", () => MemoryUsage.OfGroups(groups).Count),
            ("  the /proc scan alone (ProcStat.ScanGroups)", () => ProcStat.ScanGroups(groups).Count),
            ("  scan + File.OpenHandle + RandomAccess.Read (stack) + Parse", () => Naive(groups, OpenHandleAndRead)),
            ("  scan + File.ReadAllBytes(smaps_rollup) + Parse", () => Naive(groups, pid => MemoryUsage.Parse(File.ReadAllBytes(pid)) is null ? 0 : 1)),
            ("  scan + File.ReadAllText(smaps_rollup), no parse", () => Naive(groups, pid => File.ReadAllText(pid).Length > 0 ? 1 : 0)),
            ("  scan + File.ReadAllText(statm), RSS only: no page walk", () => Naive(groups, pid => File.ReadAllText(pid.Replace("smaps_rollup", "statm", StringComparison.Ordinal)).Length > 0 ? 1 : 0)),
        ];

        // The first round of each is timed alone (cold: JIT, dentries); then the variants take turns each round, so
        // noise from the rest of the machine falls on all of them alike.
        var first = variants.Select(v => Measure(v.Round).Ms).ToArray();
        var ms = variants.Select(_ => new List<double>(rounds)).ToArray();
        var allocated = new long[variants.Length];
        for (var i = 0; i < rounds; i++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var (elapsed, bytes) = Measure(variants[v].Round);
                ms[v].Add(elapsed);
                allocated[v] += bytes;
            }
        }

        Console.WriteLine($"  {"variant",-58} {"first ms",9} {"median ms",10} {"p90 ms",8} {"KB alloc",9} {"CPU % @5s",10} {"us/process",11}");
        for (var v = 0; v < variants.Length; v++)
        {
            var sorted = ms[v].Order().ToList();
            var median = sorted[sorted.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {variants[v].Name,-58} {first[v],9:0.00} {median,10:0.00} {sorted[(int)(sorted.Count * 0.9)],8:0.00} {allocated[v] / rounds / 1024.0,9:0.0} {median / IntervalMs * 100,10:0.000} {median * 1000 / Math.Max(1, processes),11:0.0}"));
        }
    }

    private static (double Ms, long Bytes) Measure(Func<int> round)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        round();
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (ms, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>What MemoryUsage.Read did first: the .NET file API over a stack buffer (it adds fstat and flock).</summary>
    private static int OpenHandleAndRead(string path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = 0;
        int n;
        while (length < buffer.Length && (n = RandomAccess.Read(file, buffer[length..], length)) > 0)
        {
            length += n;
        }

        return MemoryUsage.Parse(buffer[..length]) is null ? 0 : 1;
    }

    private static int Naive(IReadOnlySet<int> groups, Func<string, int> read)
    {
        var found = 0;
        foreach (var (_, members) in ProcStat.ScanGroups(groups))
        {
            foreach (var (pid, _) in members)
            {
                try
                {
                    found += read(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/smaps_rollup"));
                }
                catch (IOException)
                {
                }
            }
        }

        return found;
    }

    /// <summary>
    /// INSTANCES copies of one app, each spawned (posix_spawn, never fork) as the leader of a new process group with
    /// the fleet's listening socket on fd 0. Disposing SIGKILLs every group and reaps every leader.
    /// </summary>
    private sealed class Fleet : IDisposable
    {
        private static readonly List<Fleet> Live = [];
        private readonly Socket listener;
        private readonly List<int> leaders = [];

        private Fleet(Socket listener) => this.listener = listener;

        public HashSet<int> Groups
        {
            get
            {
                lock (leaders)
                {
                    return [.. leaders];
                }
            }
        }

        public static Fleet Start(string dir, string path, string[] environment, int instances)
        {
            var socketPath = Path.Combine(dir, "memsample.sock");
            File.Delete(socketPath);
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(128);
            var fleet = new Fleet(listener);
            lock (Live)
            {
                Live.Add(fleet);
            }

            for (var i = 0; i < instances; i++)
            {
                // Under the lock: Ctrl+C's KillAll must not miss one spawned while it kills the others.
                lock (fleet.leaders)
                {
                    fleet.leaders.Add(PosixSpawn.Start(new SpawnOptions
                    {
                        Path = path,
                        Arguments = [path],
                        Environment = environment,
                        WorkingDirectory = dir,
                        Descriptors = [((int)listener.Handle, 0)],
                    }));
                }
            }

            return fleet;
        }

        /// <summary>Until every group has its processes and their summed RSS has stopped moving (start-up done).</summary>
        public async Task WaitUntilSettledAsync(int perGroup)
        {
            var end = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
            long last = -1;
            while (Stopwatch.GetTimestamp() < end)
            {
                var scan = ProcStat.ScanGroups(Groups);
                var rss = MemoryUsage.OfGroups(Groups).Values.Sum(u => u.RssBytes);
                if (scan.Count == Groups.Count && scan.Values.All(m => m.Count == perGroup) && rss == last)
                {
                    return;
                }

                last = rss;
                await Task.Delay(500);
            }

            throw new TimeoutException($"the fleet of {Groups.Count} did not settle in 60 s (some instance exited?)");
        }

        public static void KillAll()
        {
            List<Fleet> all;
            lock (Live)
            {
                all = [.. Live];
            }

            foreach (var fleet in all)
            {
                fleet.Dispose();
            }
        }

        public void Dispose()
        {
            // Not once-only: Ctrl+C's and exit's KillAll may run while the main thread disposes; killing a group
            // again is harmless and a leader already reaped is ECHILD.
            var pids = Groups;
            foreach (var pid in pids)
            {
                if (ChildProcess.GroupExists(pid))
                {
                    ChildProcess.SignalGroup(pid, Signals.SIGKILL);
                }
            }

            foreach (var pid in pids)
            {
                try
                {
                    ChildProcess.WaitPidExited(pid);
                }
                catch (PosixException)
                {
                    // Already reaped.
                }
            }

            listener.Dispose();
            lock (Live)
            {
                Live.Remove(this);
            }
        }
    }
}
