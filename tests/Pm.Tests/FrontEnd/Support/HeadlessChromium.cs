using Microsoft.Win32.SafeHandles;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// Debian's chromium, headless, as a test's browser: loads a page once, writes a screenshot, and hands back what it
/// logged. With --enable-logging=stderr every console message of the page (a script error, a resource that failed
/// to load, a blocked request) is a line with ":CONSOLE" in it, so those lines are the page's console errors.
/// </summary>
/// <remarks>
/// Chromium can hang (a GPU process that never answers, a page that never finishes loading): it runs in a process
/// group of its own, and at the timeout the whole group is killed with SIGKILL and reaped. Its profile lives in the
/// test's directory, as its HOME (no state from one run to the next, ~/.config untouched); every one of its
/// processes carries that directory in its command line (--user-data-dir, and the crash handler, which runs in a
/// session of its own, its --database), so the leftover check after it finds any process of it that outlived it.
/// </remarks>
public static class HeadlessChromium
{
    /// <summary>Where chromium is, or null when it is not installed (scripts/setup.sh installs it).</summary>
    public static string? Path { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    /// <param name="Leftovers">Its processes still there after it exited and its group was killed (then killed too).</param>
    public sealed record Result(int? ExitCode, bool TimedOut, string Log, IReadOnlyList<string> ConsoleLines, IReadOnlyList<string> Leftovers);

    /// <summary>Loads <paramref name="url"/> in a <paramref name="width"/> × <paramref name="height"/> window and writes its screenshot to <paramref name="screenshot"/>.</summary>
    public static async Task<Result> ScreenshotAsync(TestDirectory dir, string url, string screenshot, int width, int height, TimeSpan timeout)
    {
        var chromium = Path ?? throw new InvalidOperationException("chromium is not installed (scripts/setup.sh installs it)");
        var log = dir.File("chromium.log");
        var home = Directory.CreateDirectory(dir.File("chromium-home")).FullName;
        string[] arguments =
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
            "--enable-logging=stderr", "--v=0", $"--user-data-dir={home}/profile",
            $"--window-size={width},{height}", $"--screenshot={screenshot}", url,
        ];
        using var output = File.OpenHandle(log, FileMode.Create, FileAccess.Write);
        using var nothing = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        var pid = PosixSpawn.Start(new SpawnOptions
        {
            Path = chromium,
            Arguments = arguments,
            // No display, no session bus: headless needs neither.
            Environment = [$"HOME={home}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
            Descriptors = [(Fd(nothing), 0), (Fd(output), 1), (Fd(output), 2)],
            NewProcessGroup = true,
        });

        // Woken by its exit (a pidfd), not by polling; at the timeout it is killed below.
        var exited = await Task.Factory.StartNew(() => PidFd.WaitExited(pid, timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitStatus? status = exited ? ChildProcess.WaitPidExitedNoHang(pid) : null;
        var timedOut = !exited;
        // Its helpers (GPU, network, renderer processes) are in its group: whatever is left of it goes, hung or not.
        ChildProcess.SignalGroup(pid, Signals.SIGKILL);
        status ??= ChildProcess.WaitPidExited(pid);

        var text = await File.ReadAllTextAsync(log);
        var console = text.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        var left = await Leftovers.WaitUntilGoneAsync(home, TimeSpan.FromSeconds(10));
        return new Result(status.Value.Exited ? status.Value.ExitCode : null, timedOut, text, console, left);
    }

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();
}
