namespace Pm.Posix;

/// <summary>
/// Children the .NET runtime started (System.Diagnostics.Process: the debugger a diagnosis runs) and reaps itself:
/// its SIGCHLD handling fails the whole process ("Error while reaping child. errno = 10") when someone else reaped
/// one first. While any is running, the PM's reaping of orphaned descendants (it is a subreaper, and those are its
/// children too) waits; it cannot tell them apart before they are registered, and the window is seconds at most.
/// </summary>
public static class RuntimeChildren
{
    private static int _running;

    /// <summary>Whether a runtime-started child may be alive or not yet reaped by the runtime.</summary>
    public static bool Any => Volatile.Read(ref _running) > 0;

    /// <summary>Held from before Process.Start until the runtime has reaped the child (after WaitForExit).</summary>
    public static Scope Running()
    {
        Interlocked.Increment(ref _running);
        return new Scope();
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref _running);
    }
}
