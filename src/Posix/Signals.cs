namespace Pm.Posix;

/// <summary>Linux x86-64 signal numbers, and their names for log lines.</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGABRT = 6;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGALRM = 14;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    /// <summary>
    /// The catchable signals whose default action ends a process and that an operator (or a stray kill) may send
    /// beyond TERM, INT, QUIT, HUP, USR1 and USR2: SIGSTKFLT, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
    /// SIGPWR. The realtime signals are left alone (the .NET runtime uses the first of them).
    /// </summary>
    public static readonly int[] OtherTerminating = [16, SIGALRM, 24, 25, 26, 27, 29, 30];

    private static readonly string[] Names =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    public static string Name(int signal) =>
        signal >= 0 && signal < Names.Length ? Names[signal] : $"signal {signal}";

    /// <summary>Parses "TERM", "SIGTERM" or "15".</summary>
    public static bool TryParse(string text, out int signal)
    {
        if (int.TryParse(text, out signal))
        {
            return signal > 0 && signal < 65;
        }

        var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text : "SIG" + text;
        signal = Array.FindIndex(Names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        return signal > 0;
    }
}
