namespace Pm.Supervision;

/// <summary>
/// Where a PM's shutdown is, in order. <see cref="ShutdownSequence"/> moves through them, skipping the web phase
/// when there are no web processes, and ends in <see cref="Done"/> as soon as nothing is left.
/// </summary>
public enum ShutdownPhase
{
    /// <summary>No shutdown asked for: the PM starts and restarts instances.</summary>
    Running,

    /// <summary>SIGTERM sent to the web processes, which finish the requests they hold while the apps still run.</summary>
    StoppingWebProcesses,

    /// <summary>SIGTERM sent to every app's process group; SIGKILL follows at the deadline.</summary>
    StoppingApps,

    /// <summary>The deadline passed: SIGKILL sent to everything left; the sweep for what remains is due.</summary>
    Killing,

    /// <summary>Past the deadline: reaping what is left every 10 ms, until nothing is or the sweep limit passes.</summary>
    Sweeping,

    /// <summary>Every instance stopped and reaped (or given up on), sockets removed; the loop ends.</summary>
    Done,
}
