using Microsoft.Extensions.Hosting;
using Pm.Posix;

namespace Pm.Hosting;

/// <summary>
/// With PM_STOP_WITH_PARENT=1 in its environment (test harnesses set it), the PM stops gracefully, apps and all,
/// when the process that started it exits, even by SIGKILL: a pidfd of the parent becomes readable then.
/// (PR_SET_PDEATHSIG would not do: it fires when the parent's starting thread exits, and thread pools retire threads.)
/// </summary>
public sealed class ParentWatch : IDisposable
{
    public const string Variable = "PM_STOP_WITH_PARENT";

    private readonly Epoll _epoll = new();
    private readonly int _pidfd;
    private readonly Thread _thread;
    private volatile bool _disposed;

    private ParentWatch(int parent, IHostApplicationLifetime lifetime)
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
                    Console.Error.WriteLine($"pm: the process that started me (pid {parent}) exited; stopping");
                    lifetime.StopApplication();
                    return;
                }
            }
        }) { IsBackground = true, Name = "pm-parent-watch" };
        _thread.Start();
    }

    /// <summary>Starts watching when the environment asks for it; null otherwise.</summary>
    public static ParentWatch? StartIfAsked(IHostApplicationLifetime lifetime) =>
        Environment.GetEnvironmentVariable(Variable) == "1" ? new ParentWatch(Identity.ParentProcessId, lifetime) : null;

    public void Dispose()
    {
        _disposed = true;
        _epoll.Wake();
        _thread.Join(TimeSpan.FromSeconds(1));
        FileDescriptor.Close(_pidfd);
        _epoll.Dispose();
    }
}
