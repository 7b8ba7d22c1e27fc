namespace Pm.Hosting;

/// <summary>
/// As PID 1 the .NET runtime reaps every child itself (it must, to be a correct init), so the PM would lose its
/// instances' exit statuses and could not tell a crash from a clean exit. Pm refuses rather than misbehave.
/// </summary>
public static class Pid1Guard
{
    public const string Message =
        "pm is running as PID 1. As PID 1 the .NET runtime reaps every child process itself, so the PM would lose " +
        "its apps' exit statuses. Run pm under a minimal init instead: `docker run --init ...`, or make the " +
        "container's entrypoint `tini -- pm run CONFIG` (Debian package tini).";

    public static void Check()
    {
        if (Posix.Identity.ProcessId == 1)
        {
            throw new InvalidOperationException(Message);
        }
    }
}
