using System.Diagnostics;
using System.Globalization;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>
/// pm-queuewriter child processes. Their stdout lines are collected so tests can await "ready", mode changes and
/// "done". Disposing kills whatever still runs and then checks that every child has really gone.
/// </summary>
public sealed class WriterProcesses : IAsyncDisposable
{
    private readonly List<Child> _children = [];

    public IReadOnlyList<Child> Children => _children;

    /// <param name="runAsUser">Run as this uid and gid with no supplementary groups (setpriv; needs root).</param>
    public Child Start(string ipcDirectory, int id, int threads, string mode, double rate = 0, uint? runAsUser = null)
    {
        var dir = AppContext.BaseDirectory;
        var apphost = Path.Combine(dir, "pm-queuewriter");
        var command = File.Exists(apphost) ? new List<string> { apphost } : ["dotnet", Path.Combine(dir, "pm-queuewriter.dll")];
        if (runAsUser is { } uid)
        {
            command.InsertRange(0, ["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups"]);
        }

        var psi = new ProcessStartInfo(command[0]);
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        foreach (var a in new[] { "--ipc", ipcDirectory, "--id", id.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in mode.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            psi.ArgumentList.Add(a);
        }

        if (rate > 0)
        {
            psi.ArgumentList.Add("--rate");
            psi.ArgumentList.Add(rate.ToString(CultureInfo.InvariantCulture));
        }

        var child = new Child(id, threads, Process.Start(psi)!);
        _children.Add(child);
        return child;
    }

    /// <summary>(writer, thread) → records written, from every child's "done" line.</summary>
    public async Task<Dictionary<(int Writer, int Thread), long>> WaitAllDoneAsync(TimeSpan timeout, bool expectDrops = false)
    {
        var written = new Dictionary<(int, int), long>();
        foreach (var c in _children)
        {
            var done = await c.WaitForLineAsync(l => l.StartsWith("done ", StringComparison.Ordinal), timeout);
            if (!expectDrops)
            {
                c.Field(done, "dropped").Should().Be(0, $"writer {c.Id} said: {done}");
            }

            var last = done[(done.IndexOf("last=", StringComparison.Ordinal) + 5)..].Split(',');
            for (var t = 0; t < last.Length; t++)
            {
                written[(c.Id, t)] = long.Parse(last[t], CultureInfo.InvariantCulture);
            }

            (await WaitExitAsync(c.Process, timeout)).Should().BeTrue($"writer {c.Id} should exit after done");
            c.Process.ExitCode.Should().Be(0);
        }

        return written;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _children)
        {
            if (!c.Process.HasExited)
            {
                c.Process.Kill(entireProcessTree: true);
            }
        }

        foreach (var c in _children)
        {
            (await WaitExitAsync(c.Process, TimeSpan.FromSeconds(10))).Should().BeTrue($"writer {c.Id} (pid {c.Process.Id}) must not be left behind");
            c.Process.Dispose();
        }
    }

    private static async Task<bool> WaitExitAsync(Process p, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return p.HasExited;
        }
    }

    public sealed class Child
    {
        private readonly List<string> _lines = [];
        private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
        private readonly Lock _lock = new();

        internal Child(int id, int threads, Process process)
        {
            Id = id;
            Threads = threads;
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Add(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Add("stderr " + e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Id { get; }

        public int Threads { get; }

        public Process Process { get; }

        public List<string> Lines
        {
            get
            {
                lock (_lock)
                {
                    return [.. _lines];
                }
            }
        }

        public void Send(string line)
        {
            Process.StandardInput.WriteLine(line);
            Process.StandardInput.Flush();
        }

        public int LineCount
        {
            get
            {
                lock (_lock)
                {
                    return _lines.Count;
                }
            }
        }

        /// <summary>The first line from index <paramref name="from"/> on (already seen or still to come) that matches.</summary>
        public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, int from = 0)
        {
            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                var seen = _lines.Skip(from).FirstOrDefault(match);
                if (seen is not null)
                {
                    return seen;
                }

                _waiters.Add((match, found));
            }

            if (await Task.WhenAny(found.Task, Task.Delay(timeout)) != found.Task)
            {
                throw new TimeoutException($"writer {Id} did not print the expected line within {timeout}; it printed: {string.Join(" | ", Lines.TakeLast(10))}");
            }

            return await found.Task;
        }

        public long Field(string line, string name)
        {
            var key = name + "=";
            var i = line.IndexOf(key, StringComparison.Ordinal);
            var end = line.IndexOf(' ', i);
            return long.Parse(line.AsSpan(i + key.Length, (end < 0 ? line.Length : end) - i - key.Length), CultureInfo.InvariantCulture);
        }

        private void Add(string line)
        {
            lock (_lock)
            {
                _lines.Add(line);
                foreach (var w in _waiters.Where(w => w.Match(line)).ToList())
                {
                    w.Found.TrySetResult(line);
                    _waiters.Remove(w);
                }
            }
        }
    }
}
