using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>
/// Pm under systemd's notify protocol, with a datagram socket standing in for systemd's: READY=1 once the apps wait
/// for work, RELOADING=1 and READY=1 around a reload, WATCHDOG=1 from the loop, STOPPING=1; journald's log format;
/// and packaging/pm.service passes `systemd-analyze verify`.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class SystemdTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task UnderNotifySocket_SaysReadyReloadingWatchdogAndStopping_AndLogsForJournald()
    {
        using var dir = new TestDirectory();
        var path = dir.File("notify.sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        var messages = new List<string>();
        var config = dir.Write("pm.conf", $"FastCgiIpcDir {dir.IpcDir}\nFastCgiServer {NativeApps.HelloC} -processes 2\n");
        var clock = Stopwatch.StartNew();
        await using var pm = PmProcess.Start(dir.Path, config, "run", dir.IpcDir, new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = path,
            ["WATCHDOG_USEC"] = "400000",
            ["JOURNAL_STREAM"] = "8:12345",
        });

        var ready = await ReceiveAsync(systemd, messages, m => m.Contains("READY=1", StringComparison.Ordinal));
        ready.Should().Contain("STATUS=1 app(s), 2 instance(s)");
        var status = await pm.StatusAsync();
        status.Apps.Single().Instances.Should().HaveCount(2).And.OnlyContain(i => i.State == "idle", "READY=1 comes once the apps wait for work");
        await ReceiveAsync(systemd, messages, m => m == "WATCHDOG=1");

        ChildProcess.SignalProcess(pm.Pid, Signals.SIGHUP);
        await ReceiveAsync(systemd, messages, m => m.StartsWith("RELOADING=1", StringComparison.Ordinal));
        await ReceiveAsync(systemd, messages, m => m.StartsWith("READY=1", StringComparison.Ordinal));

        ChildProcess.SignalProcess(pm.Pid, Signals.SIGTERM);
        await ReceiveAsync(systemd, messages, m => m.StartsWith("STOPPING=1", StringComparison.Ordinal));
        await pm.WaitForExitAsync(Wait);
        pm.ExitCode.Should().Be(0);
        pm.Lines.Should().Contain(l => l.StartsWith("<6>pm[0] ", StringComparison.Ordinal) && l.Contains("shutdown complete", StringComparison.Ordinal),
            "under journald each line starts with its syslog priority and has no timestamp of its own");
    }

    [Fact(Timeout = 60_000)]
    public async Task TheUnit_PassesSystemdAnalyzeVerify()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Assert.Fail("systemd-analyze is missing: scripts/setup.sh installs systemd");
        }

        using var dir = new TestDirectory();
        // verify wants the commands to exist: the unit as installed, with the built pm standing in for /usr/bin/pm.
        var unit = File.ReadAllText(Path.Combine(Paths.RepoRoot, "packaging/pm.service")).Replace("/usr/bin/pm", Paths.Pm, StringComparison.Ordinal);
        var file = dir.Write("pm.service", unit);
        var info = new ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", "--man=no", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token) + await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.Should().Be(0, output);
        output.Should().NotContain("pm.service:", "no warning about the unit itself");
    }

    private static async Task<string> ReceiveAsync(Socket socket, List<string> seen, Func<string, bool> match)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var message = Encoding.UTF8.GetString(buffer, 0, n);
            seen.Add(message);
            if (match(message))
            {
                return message;
            }
        }
    }
}
