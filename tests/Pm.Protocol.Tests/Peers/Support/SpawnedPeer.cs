using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Pm.Posix;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.Peers.Support;

/// <summary>
/// A peer program started the way Pm starts FastCGI applications: posix_spawn, in its own process group, with
/// the listening socket as fd 0 (FCGI_LISTENSOCK_FILENO) and stdout/stderr in a log file. Its exit is awaited
/// through a pidfd, not by polling. Disposing kills the group if needed, reaps the process, and fails the test
/// if anything of the group is left.
/// </summary>
internal sealed class SpawnedPeer : IAsyncDisposable
{
    private readonly string _logPath;
    private WaitStatus? _status;

    private SpawnedPeer(int pid, string logPath)
    {
        Pid = pid;
        _logPath = logPath;
    }

    public int Pid { get; }

    public string Log => File.Exists(_logPath) ? File.ReadAllText(_logPath) : string.Empty;

    public static SpawnedPeer Start(string path, IReadOnlyList<string> arguments, string logPath, Socket? listener = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        using var log = File.OpenHandle(logPath, FileMode.Create, FileAccess.Write);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        var logFd = (int)log.DangerousGetHandle();
        var stdin = listener is null ? (int)devNull.DangerousGetHandle() : (int)listener.Handle;
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            env[name] = value;
        }

        var pid = PosixSpawn.Start(new SpawnOptions
        {
            Path = path,
            Arguments = [path, .. arguments],
            Environment = env.Select(e => $"{e.Key}={e.Value}").ToList(),
            WorkingDirectory = workingDirectory,
            Descriptors = [(stdin, 0), (logFd, 1), (logFd, 2)],
        });
        return new SpawnedPeer(pid, logPath);
    }

    public bool HasExited => _status is not null;

    public void Signal(int signal) => ChildProcess.SignalProcess(Pid, signal);

    /// <summary>Waits for the exit (event-driven, through a pidfd) and reaps the process.</summary>
    public async Task<WaitStatus> WaitForExitAsync(TimeSpan timeout)
    {
        if (_status is { } known)
        {
            return known;
        }

        var exited = await Task.Factory.StartNew(() => PidFd.WaitExited(Pid, timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!exited)
        {
            throw new TimeoutException($"pid {Pid} did not exit within {timeout}; its log:\n{Log}");
        }

        _status = ChildProcess.WaitPidExitedNoHang(Pid) ?? throw new InvalidOperationException($"pid {Pid} signalled its exit but waitpid found it running");
        return _status.Value;
    }

    public async ValueTask DisposeAsync()
    {
        if (_status is null)
        {
            ChildProcess.SignalGroup(Pid, Signals.SIGKILL);
            await WaitForExitAsync(TestTimeouts.Operation);
        }

        ChildProcess.GroupExists(Pid).Should().BeFalse($"nothing of process group {Pid} may outlive the test");
    }
}
