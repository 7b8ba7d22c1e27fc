using System.Diagnostics;
using System.Text;

namespace Pm.Diagnosis;

/// <summary>
/// C-level backtraces of every thread of a process, as Passenger's crash-watch takes them before a kill: eu-stack
/// (elfutils, fast) where installed, else gdb in batch mode; PM_BACKTRACE_TOOL=gdb (or eu-stack) prefers that one.
/// All the group's processes share one time budget; a debugger still running when it is spent is killed, and the
/// diagnosis says where it was cut.
/// </summary>
public static class Backtraces
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    private static readonly string[] Dirs = ["/usr/bin", "/bin", "/usr/local/bin"];

    /// <summary>The debugger found, "eu-stack" or "gdb" with its path; null when neither is installed.</summary>
    public static (string Name, string Path)? Tool()
    {
        string[] order = Environment.GetEnvironmentVariable("PM_BACKTRACE_TOOL") == "gdb" ? ["gdb", "eu-stack"] : ["eu-stack", "gdb"];
        foreach (var name in order)
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(Dirs))
            {
                var path = System.IO.Path.Combine(dir, name);
                if (dir.Length > 0 && File.Exists(path))
                {
                    return (name, path);
                }
            }
        }

        return null;
    }

    /// <summary>A backtrace section for each pid, within <paramref name="budget"/> in all.</summary>
    public static async Task<string> TakeAsync(IReadOnlyList<int> pids, TimeSpan budget, CancellationToken cancel)
    {
        if (Tool() is not var (name, path))
        {
            return "  no backtraces: neither eu-stack (elfutils) nor gdb is installed";
        }

        var b = new StringBuilder();
        var clock = Stopwatch.StartNew();
        foreach (var pid in pids)
        {
            var left = budget - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                b.Append("  backtraces cut at ").Append(budget.TotalSeconds).Append(" s: pid ").Append(pid).Append(" and after not taken\n");
                break;
            }

            string[] args = name == "eu-stack" ? ["-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : ["-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-batch", "-nx", "-ex", "thread apply all bt"];
            b.Append("  backtrace of pid ").Append(pid).Append(" (").Append(name).Append("):\n");
            b.Append(Indent(await RunAsync(path, args, left, cancel).ConfigureAwait(false))).Append('\n');
        }

        return b.ToString().TrimEnd('\n');
    }

    private static async Task<string> RunAsync(string path, string[] args, TimeSpan limit, CancellationToken cancel)
    {
        var info = new ProcessStartInfo(path, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        using var child = Pm.Posix.RuntimeChildren.Running(); // until the runtime has reaped it: see RuntimeChildren
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancel);
        var errors = process.StandardError.ReadToEndAsync(cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return $"cut at {limit.TotalSeconds:0.0} s (the debugger was killed)";
        }

        var text = (await output.ConfigureAwait(false)).TrimEnd();
        var err = (await errors.ConfigureAwait(false)).Trim();
        if (text.Length == 0)
        {
            return err.Length > 0 ? err : $"no output (exit status {process.ExitCode})";
        }

        return text.Length > 20000 ? text[..20000] + "\n... (cut at 20000 characters)" : text;
    }

    private static string Indent(string text) => "    " + text.Replace("\n", "\n    ", StringComparison.Ordinal);
}
