using System.Diagnostics;
using Pm.Posix;

namespace Pm.Bench;

/// <summary>
/// A server the benchmark starts as the leader of a session and process group of its own (through setsid(1), which
/// execs in place because a child of this process is no group leader, so the pid is the group's id), its stdout and
/// stderr appended to a log file. Stopping it signals the leader, waits a bounded grace, then SIGKILLs the whole group:
/// nginx's and php-fpm's workers, apache's children and mod_fcgid's apps go with it. Every one started is remembered
/// until stopped, so <see cref="StopAll"/> (Ctrl+C, the process exiting) can leave nothing behind.
/// Constraint: pm keeps each app instance in a process group of its own, so a pm must be stopped by its own
/// SIGTERM path (it stops its instances); the group kill after the grace is only the last resort.
/// </summary>
public sealed class GroupedProcess
{
    private static readonly List<GroupedProcess> Live = [];
    private readonly Process process;
    private readonly StreamWriter log;

    private GroupedProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        this.process = process;
        this.log = log;
    }

    public string Name { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public static GroupedProcess Start(string name, string file, IEnumerable<string> args, string logPath)
    {
        var info = new ProcessStartInfo("/usr/bin/setsid", [file, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(info)!;
        var started = new GroupedProcess(name, process, log);
        process.OutputDataReceived += (_, e) => started.Log(e.Data);
        process.ErrorDataReceived += (_, e) => started.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Live)
        {
            Live.Add(started);
        }

        return started;
    }

    /// <summary>Sends <paramref name="signal"/> to the leader; after <paramref name="grace"/>, SIGKILL to the group. Then anything left in the group is killed too.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        if (!process.HasExited)
        {
            ChildProcess.SignalProcess(Pid, signal);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"pm-bench: {Name} (pid {Pid}) still ran {grace.TotalSeconds:0} s after {Signals.Name(signal)}: SIGKILL to its group");
            }
        }

        KillGroup();
        await process.WaitForExitAsync();
        Forget();
    }

    /// <summary>Last resort for Ctrl+C and exit: SIGTERM to every leader still running, up to 10 s for them to go, then SIGKILL to every group.</summary>
    public static void StopAll()
    {
        List<GroupedProcess> all;
        lock (Live)
        {
            all = [.. Live];
        }

        foreach (var p in all.Where(p => !p.process.HasExited))
        {
            ChildProcess.SignalProcess(p.Pid, Signals.SIGTERM);
        }

        var end = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        foreach (var p in all)
        {
            var left = (end - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            p.process.WaitForExit((int)Math.Max(0, left));
            p.KillGroup();
            p.Forget();
        }
    }

    private void KillGroup()
    {
        if (ChildProcess.GroupExists(Pid))
        {
            ChildProcess.SignalGroup(Pid, Signals.SIGKILL);
        }
    }

    private void Forget()
    {
        lock (Live)
        {
            Live.Remove(this);
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }
}
