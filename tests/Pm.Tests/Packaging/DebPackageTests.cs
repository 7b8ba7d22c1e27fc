using System.Diagnostics;
using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Packaging;

/// <summary>
/// The .deb as an operator meets it, on this machine (root, no running systemd): dpkg -i puts every file in place
/// and the log directory, the shipped config passes check-config, `pm serve /etc/pm/pm.conf` serves the status page
/// with the shim found beside the binary and logs to /var/log/pm/pm.log; dpkg -r stops the PM it finds running
/// (prerm) and leaves only the conffiles, and --purge takes those and the logs. The package is purged at the end,
/// even when the test fails, and the test refuses to run over a pm package that is already installed.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class DebPackageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static readonly string[] Installed =
    [
        "/usr/lib/pm/pm", "/usr/lib/pm/libpm-shim.so", "/lib/systemd/system/pm.service",
        "/usr/share/man/man8/pm.8.gz", "/usr/share/doc/pm/copyright", "/usr/share/doc/pm/config-reference.md",
    ];

    private static readonly string[] Conffiles = ["/etc/pm/pm.conf", "/etc/logrotate.d/pm"];

    [DebFact(Timeout = 300_000)]
    public async Task Install_Serve_Remove_Purge_LeaveNothingBehind()
    {
        var deb = DebFactAttribute.Package ?? throw new FileNotFoundException($"PM_TEST_DEB=required but {DebFactAttribute.Expected} is missing: run packaging/build-deb.sh");
        (await RunAsync("dpkg-query", "-W", "-f=${Status}", "pm")).Output.Should().NotContain("installed",
            "a pm package is already installed on this machine; this test would replace and purge it");
        var runDirBefore = Directory.Exists("/run/pm");
        Process? pm = null;
        var output = new List<string>();
        try
        {
            await ShouldSucceedAsync("dpkg", "-i", deb);
            foreach (var file in Installed.Concat(Conffiles))
            {
                File.Exists(file).Should().BeTrue($"{file} is installed");
            }

            new FileInfo("/usr/bin/pm").LinkTarget.Should().Be("../lib/pm/pm");
            Directory.Exists("/var/log/pm").Should().BeTrue("postinst makes the log directory");
            (await ShouldSucceedAsync("/usr/bin/pm", "check-config", "/etc/pm/pm.conf")).Should().Contain("log file /var/log/pm/pm.log");

            pm = StartServe(output);
            await Eventually.Until(() => Lines(output).Any(l => l.Contains(" running /etc/pm/pm.conf", StringComparison.Ordinal)) || pm.HasExited, Wait);
            pm.HasExited.Should().BeFalse(string.Join('\n', Lines(output)));
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) })
            {
                string page = "";
                await Eventually.Until(async () =>
                {
                    try
                    {
                        page = await http.GetStringAsync("http://127.0.0.1:8081/");
                        return true;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, Wait);
                page.Should().Contain("/etc/pm/pm.conf", "the status page names the config it runs");
                (await http.GetStringAsync("http://127.0.0.1:8081/metrics")).Should().Contain("pm_");
            }

            // The web processes are instances too: each has the shim preloaded, found beside /usr/lib/pm/pm
            // although it was started through the /usr/bin/pm symlink.
            var core = ProcessScan.ChildrenOf(pm.Id).Single(p => p.State != 'Z');
            var web = ProcessScan.ChildrenOf(core.Pid).Where(p => p.CommandLine.Contains(" web ", StringComparison.Ordinal)).ToList();
            web.Should().NotBeEmpty();
            web.Should().OnlyContain(p => File.ReadAllText($"/proc/{p.Pid}/maps").Contains("/usr/lib/pm/libpm-shim.so", StringComparison.Ordinal));
            File.ReadAllText("/var/log/pm/pm.log").Should().Contain(" running /etc/pm/pm.conf", "the shipped config's PmLogFile gets the log");

            // dpkg -r with the PM running: prerm stops it (pm stop) and waits for it, so nothing runs from removed files.
            await ShouldSucceedAsync("dpkg", "-r", "pm");
            using (var exited = new CancellationTokenSource(Wait))
            {
                await pm.WaitForExitAsync(exited.Token);
            }

            pm.ExitCode.Should().Be(0, string.Join('\n', Lines(output)));
            Lines(output).Should().Contain(l => l.Contains("shutdown complete", StringComparison.Ordinal));
            (await Leftovers.WaitUntilGoneAsync("/etc/pm/pm.conf", TimeSpan.FromSeconds(3))).Should().BeEmpty("dpkg -r leaves nothing running");
            Installed.Append("/usr/bin/pm").Should().OnlyContain(f => !File.Exists(f) && !Path.Exists(f), "dpkg -r removes the package's files");
            Conffiles.Should().OnlyContain(f => File.Exists(f), "dpkg -r keeps the conffiles");
            Directory.Exists("/run/pm").Should().Be(runDirBefore, "the IPC dir the PM made goes with the package");

            await ShouldSucceedAsync("dpkg", "--purge", "pm");
            Conffiles.Should().OnlyContain(f => !File.Exists(f), "purge removes the conffiles");
            Directory.Exists("/etc/pm").Should().BeFalse();
            Directory.Exists("/var/log/pm").Should().BeFalse("purge removes the logs");
            (await RunAsync("dpkg-query", "-W", "-f=${Status}", "pm")).Output.Should().NotContain(" installed");
        }
        finally
        {
            if (pm is { HasExited: false })
            {
                ChildProcess.SignalProcess(pm.Id, Signals.SIGTERM);
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await pm.WaitForExitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    pm.Kill(entireProcessTree: true);
                }
            }

            pm?.Dispose();
            await Leftovers.WaitUntilGoneAsync("/etc/pm/pm.conf", TimeSpan.FromSeconds(3));
            // Leave the machine as it was: no package, no logs, no IPC dir of ours.
            await RunAsync("dpkg", "--purge", "pm");
            if (!runDirBefore && File.Exists("/run/pm/.pm-created"))
            {
                Directory.Delete("/run/pm", recursive: true);
            }
        }
    }

    private static Process StartServe(List<string> output)
    {
        var info = new ProcessStartInfo("/usr/bin/pm", ["serve", "/etc/pm/pm.conf"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // If the test host dies, the PM stops its apps and exits rather than linger.
        info.Environment[Hosting.ParentWatch.Variable] = "1";
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Add(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.Add(line);
                }
            }
        }
    }

    private static List<string> Lines(List<string> output)
    {
        lock (output)
        {
            return output.ToList();
        }
    }

    private static async Task<string> ShouldSucceedAsync(string program, params string[] args)
    {
        var (code, text) = await RunAsync(program, args);
        code.Should().Be(0, $"{program} {string.Join(' ', args)}: {text}");
        return text;
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(Wait);
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
