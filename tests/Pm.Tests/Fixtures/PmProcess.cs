using System.Diagnostics;
using System.Text.Json;
using Pm.Config;
using Pm.Control;
using Pm.Posix;
using Pm.Status;

namespace Pm.Tests.Fixtures;

/// <summary>
/// A real `pm run CONFIG` process. Its output is collected line by line and tests wait for lines (an event, not
/// a sleep). Disposal makes sure it and everything it started are gone, and fails the test if they were not.
/// </summary>
public sealed class PmProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];
    private readonly string _marker;

    private PmProcess(Process process, string marker, string ipcDir)
    {
        _process = process;
        _marker = marker;
        IpcDir = ipcDir;
    }

    /// <summary>The pid the test started: `pm run` and `pm serve` are the watchdog, the PM core its one child.</summary>
    public int Pid => _process.Id;

    /// <summary>The PM core (the watchdog's child, which the apps are children of).</summary>
    public int CorePid => ProcessScan.ChildrenOf(Pid).Single(p => p.State != 'Z').Pid;

    public string IpcDir { get; }

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

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToList();
            }
        }
    }

    /// <summary>Starts `pm COMMAND CONFIG [OPTIONS]` with the config and waits until it says it is running.</summary>
    public static Task<PmProcess> StartAsync(TestDirectory dir, string configText, string command = "run", params string[] options) =>
        StartAsync(dir, configText, new Dictionary<string, string>(), command, options);

    /// <summary>As <see cref="StartAsync(TestDirectory, string, string, string[])"/>, with these variables added to pm's environment.</summary>
    public static async Task<PmProcess> StartAsync(TestDirectory dir, string configText, IReadOnlyDictionary<string, string> environment, string command, params string[] options)
    {
        var config = dir.Write("pm.conf", configText);
        var pm = Start(dir.Path, config, command, dir.IpcDir, environment, options);
        await pm.WaitForLineAsync(l => l.Contains(" running ", StringComparison.Ordinal) && l.Contains("pm ", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        return pm;
    }

    public static PmProcess Start(string marker, string configPath, string command, string ipcDir, params string[] options) =>
        Start(marker, configPath, command, ipcDir, new Dictionary<string, string>(), options);

    /// <summary>As <see cref="Start(string, string, string, string, string[])"/>, with these variables added to pm's environment.</summary>
    public static PmProcess Start(string marker, string configPath, string command, string ipcDir, IReadOnlyDictionary<string, string> environment, params string[] options)
    {
        var info = new ProcessStartInfo(Paths.Pm, [command, configPath, .. options])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        // If the test host dies (a killed or timed-out run), pm stops its apps and exits rather than linger.
        info.Environment[Hosting.ParentWatch.Variable] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var pm = new PmProcess(process, marker, ipcDir);
        process.OutputDataReceived += (_, e) => pm.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => pm.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return pm;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>> done = [];
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var w in _waiters.ToList())
            {
                if (w.Match(line))
                {
                    _waiters.Remove(w);
                    done.Add(w.Done);
                }
            }
        }

        foreach (var d in done)
        {
            d.TrySetResult(line);
        }
    }

    /// <summary>Waits for an output line (past or future) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout) => WaitForLineAsync(match, timeout, skip: 0);

    /// <summary>Waits for a matching line among those after the first <paramref name="skip"/> lines.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, int skip)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            var existing = _lines.Skip(skip).FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((match, tcs));
        }

        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(tcs.Task, exited, Task.Delay(timeout));
        if (finished == tcs.Task)
        {
            return await tcs.Task;
        }

        throw new TimeoutException(finished == exited
            ? $"pm exited ({_process.ExitCode}) before the expected line. Output:\n{Output}"
            : $"no matching line within {timeout.TotalSeconds} s. Output:\n{Output}");
    }

    public int LineCount
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count;
            }
        }
    }

    public async Task<StatusReport> StatusAsync()
    {
        var json = await ControlClient.SendAsync(IpcLayout.ControlSocket(IpcDir), "status", TimeSpan.FromSeconds(10));
        return JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport)!;
    }

    /// <summary>Sends SIGTERM and waits for pm to exit; returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            ChildProcess.SignalProcess(_process.Id, Signals.SIGTERM);
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return _process.WaitForExitAsync(cts.Token);
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Kills pm if still running, then fails if any process carrying the test's marker survives (given a moment for
    /// the kernel to finish what pm started), killing them so no later test is disturbed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A test that failed half-way: stop pm the proper way first, so its apps go with it.
            try
            {
                await StopAsync(TimeSpan.FromSeconds(15));
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        var leftovers = await Leftovers.WaitUntilGoneAsync(_marker, TimeSpan.FromSeconds(3));
        _process.Dispose();
        leftovers.Should().BeEmpty("nothing a test started may survive it");
    }
}
