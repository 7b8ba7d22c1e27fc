using System.Diagnostics;

namespace Pm.Bench;

/// <summary>Builds what a benchmark runs (the libfcgi hello app) and finds the built pm.</summary>
public static class BenchEnvironment
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>
    /// The pm under test: $PM_BENCH_PM, else the native build (scripts/native.sh, what users run) when there is one,
    /// else this build's JIT pm. <see cref="PmKind"/> says which, for the figures' header.
    /// </summary>
    public static string Pm { get; } = FindPm();

    public static string PmKind => Environment.GetEnvironmentVariable("PM_BENCH_PM") is { Length: > 0 } ? "PM_BENCH_PM"
        : Pm.Contains("/artifacts/native/", StringComparison.Ordinal) ? "native" : "JIT";

    private static string FindPm()
    {
        if (Environment.GetEnvironmentVariable("PM_BENCH_PM") is { Length: > 0 } chosen)
        {
            return chosen;
        }

        var native = Path.Combine(RepoRoot, "artifacts/native/pm");
        return File.Exists(native) ? native
            : Path.Combine(RepoRoot, "src/Pm/bin", AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug", "net10.0/pm");
    }

    /// <summary>Waits until the client's base address answers HTTP at all (any status): a server that has started listening.</summary>
    public static async Task WaitForHttpAsync(HttpClient http)
    {
        var end = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("");
                return;
            }
            catch (HttpRequestException) when (Stopwatch.GetTimestamp() < end)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>A local TCP port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static string WorkDirectory()
    {
        var dir = Path.Combine("/tmp", "pm-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>cc -O2 examples/apps/hello-c/hello.c -lfcgi into the work dir.</summary>
    public static string BuildHelloC(string dir) => Compile(dir, "examples/apps/hello-c/hello.c", "hello-c");

    /// <summary>The 50 ms-per-request libfcgi app of bench/PmBench/apps/slow.c.</summary>
    public static string BuildSlowC(string dir) => Compile(dir, "bench/PmBench/apps/slow.c", "slow-c");

    public static string Compile(string dir, string source, string name)
    {
        var output = Path.Combine(dir, name);
        using var cc = Process.Start("cc", ["-O2", "-o", output, Path.Combine(RepoRoot, source), "-lfcgi"])!;
        cc.WaitForExit();
        if (cc.ExitCode != 0)
        {
            throw new InvalidOperationException("cc failed: is libfcgi-dev installed? (scripts/setup.sh)");
        }

        return output;
    }

    /// <summary>Starts `pm COMMAND CONFIG [OPTIONS]`; its stdout goes to pm.log beside the config.</summary>
    public static Process StartPm(string config, string command = "run", params string[] options)
    {
        var info = new ProcessStartInfo(Pm, [command, config, .. options]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(info)!;
        // The PM's log, for reading why it did what it did during a run.
        var log = new StreamWriter(Path.Combine(Path.GetDirectoryName(config)!, "pm.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.WriteLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("pm: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process pm)
    {
        Posix.ChildProcess.SignalProcess(pm.Id, Posix.Signals.SIGTERM);
        pm.WaitForExit(30_000);
    }

    /// <summary>Waits for <paramref name="path"/> to exist; fails after <paramref name="timeout"/>, or at once when <paramref name="owner"/> (the process that makes it) has exited.</summary>
    public static async Task WaitForFileAsync(string path, TimeSpan timeout, Process? owner = null)
    {
        var end = DateTime.UtcNow + timeout;
        while (!File.Exists(path))
        {
            if (owner is { HasExited: true })
            {
                throw new InvalidOperationException($"{path} did not appear: {owner.StartInfo.FileName} exited with {owner.ExitCode}");
            }

            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException(path + " did not appear");
            }

            await Task.Delay(10);
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pm.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Pm.sln");
    }
}
