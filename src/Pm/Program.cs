using System.CommandLine;
using Pm.Cli;

namespace Pm;

/// <summary>The pm command line. Each command lives in Cli/ and returns an exit code from <see cref="ExitCodes"/>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var config = new Argument<string>("config") { Description = "the config file (mod_fastcgi directives)" };
        var run = new Command("run", "run the PM in the foreground: start every static app and keep it running") { config };
        run.SetAction((r, _) => RunCommand.RunAsync(r.GetValue(config)!));

        var checkFile = new Argument<string>("config") { Description = "the config file to check" };
        var check = new Command("check-config", "report every error in a config without starting anything") { checkFile };
        check.SetAction(r => CheckConfigCommand.Run(r.GetValue(checkFile)!));

        var statusConfig = new Option<string?>("--config", "-c") { Description = "find the PM through this config's IPC dir" };
        var statusIpc = new Option<string?>("--ipc-dir") { Description = "the PM's IPC dir" };
        var json = new Option<bool>("--json") { Description = "print JSON for scripts" };
        var status = new Command("status", "show a running PM's apps and instances") { statusConfig, statusIpc, json };
        status.SetAction((r, _) => StatusCommand.RunAsync(r.GetValue(statusConfig), r.GetValue(statusIpc), r.GetValue(json)));

        var root = new RootCommand("pm: a FastCGI process manager") { run, check, status };
        // No ProcessTerminationTimeout: System.CommandLine would otherwise take SIGTERM and exit after 2 s,
        // cutting the PM's own graceful shutdown short.
        return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
