using System.Diagnostics;
using System.Text.RegularExpressions;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// A real `pm web CONFIG --listen 127.0.0.1:0`, as in development: its output lines are collected, and the port it
/// got is read from its "serving" line. Disposal kills it if still running.
/// </summary>
public sealed partial class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebProcess(Process process)
    {
        _process = process;
    }

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

    public static WebProcess Start(string configPath, params string[] extra)
    {
        var info = new ProcessStartInfo(Paths.Pm, ["web", configPath, .. extra])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // fd 0 is then a pipe: only --listen can make this web process serve.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var web = new WebProcess(process);
        process.OutputDataReceived += (_, e) => web.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => web.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return web;
    }

    /// <summary>Waits for the "serving http://127.0.0.1:PORT" line and returns an HttpClient for it.</summary>
    public async Task<HttpClient> ClientAsync(TimeSpan timeout)
    {
        var port = await _port.Task.WaitAsync(timeout);
        return new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Signal(int signal) => ChildProcess.SignalProcess(_process.Id, signal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        if (ServingLine().Match(line) is { Success: true } m)
        {
            _port.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@": serving http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ServingLine();
}
