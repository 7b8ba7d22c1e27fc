using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// `pm run` and `pm serve` are this small process: a subreaper that re-executes its own binary as the real PM
/// (the core, marked by <see cref="CoreVariable"/>, in its own process group), forwards the stop and control
/// signals to it, and when the core dies by any means (kill -9 included) stops whatever the core left: every
/// orphan of the core is re-parented here, because this process is a subreaper above it. It has no host, no DI
/// and no logging framework, and it does nothing on the core's spawn path, so the ~1 ms restart of a static app
/// costs the same as before. The core watches this process in turn (<see cref="ParentWatch"/>): kill -9 of the
/// pid the user knows stops the core and its apps within a second.
/// </summary>
public static class Watchdog
{
    public const string CoreVariable = "PM_CORE";

    /// <summary>How long the core gets after a terminal hangup before SIGKILL (a default shutdown timeout plus 1 s).</summary>
    private static readonly TimeSpan HangupGrace = TimeSpan.FromSeconds(31);

    /// <summary>Held so it is not collected before it fires.</summary>
    private static Timer? _hangupKill;

    /// <summary>Every signal an operator may send to the pid they know: the core decides what each means (see ShutdownSignals).</summary>
    private static readonly int[] Forwarded =
        [Signals.SIGTERM, Signals.SIGINT, Signals.SIGQUIT, Signals.SIGHUP, Signals.SIGUSR1, Signals.SIGUSR2, .. Signals.OtherTerminating];

    /// <summary>Whether this process is the core (started by a watchdog), not the watchdog itself.</summary>
    public static bool IsCore => Environment.GetEnvironmentVariable(CoreVariable) == "1";

    /// <summary>
    /// The pid the user knows, the one pm.pid and pm status name: the watchdog's, also in the core (read at
    /// start-up, while the watchdog is still its parent).
    /// </summary>
    public static int UserPid { get; } = IsCore ? Identity.ParentProcessId : Identity.ProcessId;

    /// <summary>Runs the core as a child and returns its exit status (128+n when a signal ended it).</summary>
    public static int Run(string[] args)
    {
        if (Identity.ProcessId == 1)
        {
            Console.Error.WriteLine($"pm: cannot start: {Pid1Guard.Message}");
            return Cli.ExitCodes.StartFailed;
        }

        Subreaper.Enable();
        var hadTerminal = Console.IsInputRedirected is false || Console.IsOutputRedirected is false || Console.IsErrorRedirected is false;
        var core = StartCore(args);
        var registrations = new List<System.Runtime.InteropServices.PosixSignalRegistration>();
        foreach (var signal in Forwarded)
        {
            registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(
                (System.Runtime.InteropServices.PosixSignal)signal,
                context =>
                {
                    context.Cancel = true;
                    if (signal == Signals.SIGHUP && hadTerminal && TerminalGone())
                    {
                        // The terminal hung up: the core and the apps are in their own groups and got no SIGHUP.
                        ChildProcess.SignalProcess(core, Signals.SIGTERM);
                        _hangupKill ??= new Timer(_ => ChildProcess.SignalProcess(core, Signals.SIGKILL), null, HangupGrace, Timeout.InfiniteTimeSpan);
                        return;
                    }

                    ChildProcess.SignalProcess(core, signal);
                }));
        }

        if (Environment.GetEnvironmentVariable(ParentWatch.Variable) == "1")
        {
            ParentWatch.OnParentExit(Identity.ParentProcessId, () => ChildProcess.SignalProcess(core, Signals.SIGTERM));
        }

        var status = ChildProcess.WaitPidExited(core);
        var groups = StopLeftovers();
        if (!status.Clean || groups > 0)
        {
            Console.Error.WriteLine($"pm: the PM core (pid {core}) ended with {status}; stopped {groups} leftover process group{(groups == 1 ? "" : "s")}");
        }

        foreach (var r in registrations)
        {
            r.Dispose();
        }

        return status.Exited ? status.ExitCode : 128 + status.TermSignal;
    }

    private static int StartCore(string[] args)
    {
        var path = Environment.ProcessPath ?? "/proc/self/exe";
        var argv = new List<string> { path };
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            // The JIT build, run as `dotnet pm.dll`: the core needs the assembly too.
            argv.Add(Path.Combine(AppContext.BaseDirectory, "pm.dll"));
        }

        argv.AddRange(args);
        var environment = new List<string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if ((string)e.Key != CoreVariable)
            {
                environment.Add($"{e.Key}={e.Value}");
            }
        }

        environment.Add($"{CoreVariable}=1");
        return PosixSpawn.Start(new SpawnOptions { Path = path, Arguments = argv, Environment = environment });
    }

    /// <summary>
    /// SIGTERM to the group of each remaining child (and the child), SIGKILL after 300 ms, reaping as they go,
    /// until no child is left (grandchildren re-parent here as their parents die) or a second has passed.
    /// Returns how many process groups it signalled.
    /// </summary>
    private static int StopLeftovers()
    {
        var own = ChildProcess.GetProcessGroup(0);
        var groups = new HashSet<int>();
        var start = Environment.TickCount64;
        var signal = Signals.SIGTERM;
        while (Environment.TickCount64 - start < 1000)
        {
            var children = Subreaper.Children();
            if (children.Count == 0)
            {
                break;
            }

            foreach (var child in children)
            {
                var group = ChildProcess.GetProcessGroup(child);
                if (group > 1 && group != own)
                {
                    groups.Add(group);
                }
            }

            foreach (var group in groups)
            {
                ChildProcess.SignalGroup(group, signal);
            }

            foreach (var child in children)
            {
                ChildProcess.SignalProcess(child, signal);
            }

            var round = Environment.TickCount64;
            while (Environment.TickCount64 - round < 300)
            {
                var left = 0;
                foreach (var child in children)
                {
                    try
                    {
                        if (ChildProcess.WaitPidExitedNoHang(child) is null)
                        {
                            left++;
                        }
                    }
                    catch (PosixException)
                    {
                        // ECHILD: already reaped.
                    }
                }

                if (left == 0)
                {
                    break;
                }

                Thread.Sleep(5);
            }

            signal = Signals.SIGKILL;
        }

        return groups.Count;
    }

    /// <summary>Whether the controlling terminal has gone (hung up): /dev/tty no longer opens.</summary>
    private static bool TerminalGone()
    {
        try
        {
            using var tty = File.Open("/dev/tty", FileMode.Open, FileAccess.ReadWrite);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
