using Microsoft.Extensions.Hosting;
using Pm.Cli;
using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// Acts when the process that started this one exits, even by SIGKILL: a pidfd of the parent becomes readable
/// then. (PR_SET_PDEATHSIG would not do: it fires when the parent's starting thread exits, and thread pools
/// retire threads.) The PM core always watches its watchdog (<see cref="ForCore"/>); with PM_STOP_WITH_PARENT=1
/// in the environment (test harnesses set it) the watchdog watches its own parent and stops the core gracefully.
/// </summary>
public sealed class ParentWatch : IDisposable
{
    public const string Variable = "PM_STOP_WITH_PARENT";

    /// <summary>How long the core's graceful stop may run after its watchdog died before everything is killed.</summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromMilliseconds(500);

    private readonly Epoll _epoll = new();
    private readonly int _pidfd;
    private readonly Thread _thread;
    private volatile bool _disposed;

    private ParentWatch(int parent, Action exited)
    {
        _pidfd = PidFd.Open(parent);
        _epoll.Add(_pidfd, 1);
        _thread = new Thread(() =>
        {
            Span<ulong> ready = stackalloc ulong[1];
            while (!_disposed)
            {
                if (_epoll.Wait(ready, -1) > 0)
                {
                    exited();
                    return;
                }
            }
        }) { IsBackground = true, Name = "pm-parent-watch" };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="exited"/> on a background thread once <paramref name="parent"/> exits (never disposed: the process ends soon after).</summary>
    public static void OnParentExit(int parent, Action exited) => _ = new ParentWatch(parent, exited);

    /// <summary>
    /// The core's watch of its watchdog: when the watchdog dies nothing would stop what the core leaves, so the
    /// core begins its graceful stop and, at most <see cref="OrphanGrace"/> later, SIGKILLs the process group of
    /// every child it still has (instances and web processes) and exits: all gone within a second.
    /// </summary>
    public static ParentWatch ForCore(IHostApplicationLifetime lifetime)
    {
        var parent = Identity.ParentProcessId;
        return new ParentWatch(parent, () =>
        {
            Console.Error.WriteLine($"pm: my watchdog (pid {parent}) exited; stopping everything");
            lifetime.StopApplication();
            Thread.Sleep(OrphanGrace);
            foreach (var child in Subreaper.Children())
            {
                var group = ChildProcess.GetProcessGroup(child);
                if (group > 1 && group != ChildProcess.GetProcessGroup(0))
                {
                    ChildProcess.SignalGroup(group, Signals.SIGKILL);
                }

                ChildProcess.SignalProcess(child, Signals.SIGKILL);
            }

            Environment.Exit(ExitCodes.StartFailed);
        });
    }

    /// <summary>Starts watching when the environment asks for it; null otherwise.</summary>
    public static ParentWatch? StartIfAsked(IHostApplicationLifetime lifetime)
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            return null;
        }

        var parent = Identity.ParentProcessId;
        return new ParentWatch(parent, () =>
        {
            Console.Error.WriteLine($"pm: the process that started me (pid {parent}) exited; stopping");
            lifetime.StopApplication();
        });
    }

    public void Dispose()
    {
        _disposed = true;
        _epoll.Wake();
        _thread.Join(TimeSpan.FromSeconds(1));
        FileDescriptor.Close(_pidfd);
        _epoll.Dispose();
    }
}
