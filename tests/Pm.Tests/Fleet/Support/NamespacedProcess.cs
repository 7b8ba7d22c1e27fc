using System.Diagnostics;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// A real process in a host's network namespace: `ip netns exec NS PROGRAM ARGS` (ip enters the namespace and execs
/// the program, so the pid started is the program's). Its output is collected line by line, and a test waits for a
/// line (an event, not a sleep). <see cref="Marker"/>, the host's directory, is on the command line of everything it
/// starts (the program is reached through a link in there, a PM's config and apps are in there), so disposal can
/// check, as <see cref="PmProcess"/> does, that nothing of this host is left, killing what is.
/// </summary>
public sealed class NamespacedProcess : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    private NamespacedProcess(Process process, string marker)
    {
        _process = process;
        Marker = marker;
    }

    public string Marker { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="ns"/>.</summary>
    public static NamespacedProcess Start(string ns, string program, IEnumerable<string> arguments, string marker)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", ns, program, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // If the test host dies, a pm stops its apps and exits rather than linger.
        info.Environment[Hosting.ParentWatch.Variable] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new NamespacedProcess(process, marker);
        process.OutputDataReceived += (_, e) => started.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => started.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>`pm serve CONFIG` in <paramref name="ns"/>; returns once a web process serves.</summary>
    public static async Task<NamespacedProcess> StartPmAsync(string ns, string config, string marker)
    {
        var pm = Start(ns, Paths.Pm, ["serve", config], marker);
        try
        {
            await pm.WaitForLineAsync(l => l.Contains("pm web ", StringComparison.Ordinal) && l.Contains(": serving ", StringComparison.Ordinal));
        }
        catch
        {
            await pm.DisposeAsync();
            throw;
        }

        return pm;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource> seen = [];
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                seen.Add(waiter.Seen);
            }
        }

        seen.ForEach(s => s.TrySetResult());
    }

    /// <summary>Waits for an output line (past or future) that matches; fails if the process exits first.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.Any(match))
            {
                return;
            }

            _waiters.Add((match, seen));
        }

        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(seen.Task, exited, Task.Delay(Wait));
        if (finished != seen.Task)
        {
            throw new TimeoutException($"{_process.StartInfo.ArgumentList[3]} {(finished == exited ? $"exited ({_process.ExitCode})" : $"did not say so within {Wait.TotalSeconds} s")}:\n{Output}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> (to a pm: its watchdog, the pid the operator knows) and waits for the exit.</summary>
    public async Task<int> SignalAndWaitAsync(int signal)
    {
        ChildProcess.SignalProcess(_process.Id, signal);
        using var patience = new CancellationTokenSource(Wait);
        await _process.WaitForExitAsync(patience.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await SignalAndWaitAsync(Signals.SIGTERM);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        var left = await Leftovers.WaitUntilGoneAsync(Marker, TimeSpan.FromSeconds(5));
        _process.Dispose();
        left.Should().BeEmpty("nothing a host's process started may outlive it; its output:\n{0}", Output);
    }
}
