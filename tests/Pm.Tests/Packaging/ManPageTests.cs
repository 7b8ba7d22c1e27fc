using System.Diagnostics;
using System.Text.RegularExpressions;
using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Packaging;

/// <summary>
/// pm(8), as `pm man` prints it, describes what `pm --help` does (it is made from the same command tree) and the
/// config reference, and groff renders it without a warning.
/// </summary>
public sealed partial class ManPageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task EveryCommandAndOptionInHelp_IsInTheManPage()
    {
        var man = await RunAsync(Paths.Pm, ["man"]);
        var help = await RunAsync(Paths.Pm, ["--help"]);
        var commands = help[(help.IndexOf("Commands:", StringComparison.Ordinal) + 9)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' ')[0]).ToList();
        commands.Should().Contain(["run", "serve", "check-config", "status", "reload", "restart", "stop", "simulate"]);

        foreach (var command in commands)
        {
            var usage = $".TP\n\\fBpm {Troff(command)}\\fR";
            man.Should().Contain(usage, $"`pm --help` lists {command}");
            var section = man[man.IndexOf(usage, StringComparison.Ordinal)..];
            section = section[..section.IndexOf(".RE\n", StringComparison.Ordinal)];
            foreach (Match option in LongOption().Matches(await RunAsync(Paths.Pm, [command, "--help"])))
            {
                if (option.Value != "--help")
                {
                    section.Should().Contain($"\\fB{Troff(option.Value)}\\fR", $"`pm {command} --help` lists {option.Value}");
                }
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task TheConfigReference_IsInTheManPage()
    {
        var man = await RunAsync(Paths.Pm, ["man"]);
        foreach (var d in DirectiveTable.All)
        {
            man.Should().Contain($".TP\n\\fB{Troff(d.Syntax)}\\fR");
        }

        foreach (var o in OptionTable.All)
        {
            man.Should().Contain($".TP\n\\fB{Troff(ConfigReference.OptionSyntax(o))}\\fR");
        }

        man.Should().Contain("PmLogFile").And.Contain(".SH SIGNALS").And.Contain("SIGUSR1");
    }

    [Fact(Timeout = 60_000)]
    public async Task Groff_RendersIt_WithoutAWarning()
    {
        if (!File.Exists("/usr/bin/groff"))
        {
            Assert.Fail("groff is missing: scripts/setup.sh installs groff-base");
        }

        using var dir = new TestDirectory();
        var page = dir.Write("pm.8", await RunAsync(Paths.Pm, ["man"]));
        // -ww: every warning; -z: format, print nothing but the diagnostics.
        var info = new ProcessStartInfo("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", page]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var groff = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(Wait);
        var errors = await groff.StandardError.ReadToEndAsync(timeout.Token);
        await groff.WaitForExitAsync(timeout.Token);
        groff.ExitCode.Should().Be(0, errors);
        errors.Should().BeEmpty();

        // -P-cbou: plain text, no overstriking for bold or underline.
        var text = await RunAsync("/usr/bin/groff", ["-man", "-Tutf8", "-P-cbou", page]);
        text.Should().Contain("pm check-config config").And.Contain("PmLogFile PATH").And.Contain("-max-requests n");
    }

    private static string Troff(string text) => text.Replace("-", "\\-", StringComparison.Ordinal);

    private static async Task<string> RunAsync(string program, string[] args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(Wait);
        var output = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        p.ExitCode.Should().Be(0, await error);
        return await output;
    }

    [GeneratedRegex(@"(?<=\s)--[a-z][a-z-]*")]
    private static partial Regex LongOption();
}
