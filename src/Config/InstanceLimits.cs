using System.Globalization;

namespace Pm.Config;

/// <summary>
/// How long an instance may take to start, and to stay neither waiting for work nor serving, before the PM
/// kills it; how kills for a limit escalate; and what is sent first so an app can print its own backtrace.
/// The request limits (-request-timeout, -slow-log) are the web processes' and live in <see cref="RequestSettings"/>.
/// </summary>
/// <param name="SpawnTimeout">-spawn-timeout: from the spawn to waiting for work on fd 0.</param>
/// <param name="KillGrace">-kill-grace: between SIGTERM and SIGKILL when an instance is killed for a limit.</param>
/// <param name="StuckTimeout">-stuck-timeout: neither waiting for work nor holding a request, after it was ready.</param>
/// <param name="DiagnoseSignal">-diagnose-signal: sent to the instance's group before its diagnosis; null for none.</param>
/// <param name="Recycle">-max-requests, -memory-limit and their companions: when an instance is recycled; null: never.</param>
public sealed record InstanceLimits(TimeSpan SpawnTimeout, TimeSpan KillGrace, TimeSpan StuckTimeout, int? DiagnoseSignal, RecycleLimits? Recycle = null)
{
    /// <summary>When an instance is recycled (<see cref="RecycleLimits.None"/> when nothing is set).</summary>
    public RecycleLimits Recycling => Recycle ?? RecycleLimits.None;

    public static readonly InstanceLimits Default = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), null);

    /// <summary>The signals -diagnose-signal accepts: those an app may catch to print a backtrace.</summary>
    private static readonly Dictionary<string, int> Catchable = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SIGHUP"] = 1, ["SIGINT"] = 2, ["SIGQUIT"] = 3, ["SIGABRT"] = 6, ["SIGUSR1"] = 10, ["SIGUSR2"] = 12,
        ["SIGALRM"] = 14, ["SIGTERM"] = 15, ["SIGCONT"] = 18, ["SIGWINCH"] = 28, ["SIGPROF"] = 27, ["SIGTTIN"] = 21,
    };

    /// <summary>Reads the options; a bad -diagnose-signal is reported through <paramref name="error"/>.</summary>
    public static InstanceLimits From(OptionValues o, Action<string> error)
    {
        int? signal = null;
        if (o.Text("diagnose-signal") is { } name)
        {
            var key = name.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? name : "SIG" + name;
            if (Catchable.TryGetValue(key, out var n))
            {
                signal = n;
            }
            else if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var raw) && raw is > 0 and < 65 && raw is not 9 and not 19)
            {
                signal = raw;
            }
            else
            {
                error($"-diagnose-signal \"{name}\" is not a signal an app can catch (e.g. SIGQUIT, SIGUSR1, SIGUSR2 or a number)");
            }
        }

        return new InstanceLimits(TimeSpan.FromSeconds(o.Decimal("spawn-timeout")), TimeSpan.FromSeconds(o.Decimal("kill-grace")),
            TimeSpan.FromSeconds(o.Decimal("stuck-timeout")), signal, RecycleLimits.From(o, error));
    }

    /// <summary>The signal's name, for log lines.</summary>
    public static string SignalName(int signal)
    {
        foreach (var (name, n) in Catchable)
        {
            if (n == signal)
            {
                return name;
            }
        }

        return "signal " + signal.ToString(CultureInfo.InvariantCulture);
    }
}
