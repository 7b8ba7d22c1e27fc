using System.CommandLine;

namespace Pm.Cli;

/// <summary>
/// Every command and option of pm, with its description: the one source of `pm --help` and of the man page
/// (`pm man`, <see cref="ManPage"/>), so the two cannot drift apart.
/// </summary>
public static class PmCommandLine
{
    public const string Summary = "pm: a FastCGI process manager";

    public static RootCommand Build()
    {
        var config = new Argument<string>("config") { Description = "the config file (mod_fastcgi directives)" };
        var record = new Option<string?>("--record-trace") { HelpName = "FILE", Description = "write every request the web processes report to this trace file (for pm simulate)" };
        var run = new Command("run", "run the PM in the foreground: start every static app and keep it running") { config, record };
        run.SetAction((r, _) => RunCommand.RunAsync(r.GetValue(config)!, new Hosting.DaemonMode(false, r.GetValue(record))));

        var serveConfig = new Argument<string>("config") { Description = "the config file" };
        var serveRecord = new Option<string?>("--record-trace") { HelpName = "FILE", Description = "write every request the web processes report to this trace file (for pm simulate)" };
        var serve = new Command("serve", "run the PM and its web processes: HTTP on PmListen (default 127.0.0.1:8080) to the apps") { serveConfig, serveRecord };
        serve.SetAction((r, _) => RunCommand.RunAsync(r.GetValue(serveConfig)!, new Hosting.DaemonMode(true, r.GetValue(serveRecord))));

        var requestKind = new Argument<string>("kind") { Description = "start, more, done or changed (mod_fastcgi's S, T, C and R records)" };
        var requestPath = new Argument<string>("path") { Description = "the dynamic app's path" };
        var requestConfig = new Option<string?>("--config", "-c") { HelpName = "CONFIG", Description = "find the queue through this config's IPC dir" };
        var requestIpc = new Option<string?>("--ipc-dir") { HelpName = "DIR", Description = "the PM's IPC dir" };
        var request = new Command("request", "write one record to the PM's queue, as a web process would") { requestKind, requestPath, requestConfig, requestIpc };
        request.SetAction(r => RequestCommand.Run(r.GetValue(requestKind)!, r.GetValue(requestPath)!, r.GetValue(requestConfig), r.GetValue(requestIpc)));

        var checkFile = new Argument<string>("config") { Description = "the config file to check" };
        var check = new Command("check-config", "report every error in a config without starting anything") { checkFile };
        check.SetAction(r => CheckConfigCommand.Run(r.GetValue(checkFile)!));

        var statusConfig = new Option<string?>("--config", "-c") { HelpName = "CONFIG", Description = "find the PM through this config's IPC dir (default: $PM_CONFIG, else the default IPC dir)" };
        var statusIpc = new Option<string?>("--ipc-dir") { HelpName = "DIR", Description = "the PM's IPC dir" };
        var json = new Option<bool>("--json") { Description = "print JSON for scripts" };
        var status = new Command("status", "show a running PM's apps and instances") { statusConfig, statusIpc, json };
        status.SetAction((r, _) => StatusCommand.RunAsync(r.GetValue(statusConfig), r.GetValue(statusIpc), r.GetValue(json)));

        var simConfig = new Option<string>("--config", "-c") { HelpName = "CONFIG", Description = "the config whose policies and timeouts to use", Required = true };
        var trace = new Option<string>("--trace", "-t") { HelpName = "TRACE", Description = "a trace file (see examples/traces/README.md)", Required = true };
        var policy = new Option<string[]>("--policy", "-p") { Description = "a policy to run, e.g. demand or classic:maxClassProcesses=20 (repeatable; default: the config's and all three)", AllowMultipleArgumentsPerToken = false };
        var chart = new Option<string?>("--chart") { HelpName = "FILE", Description = "where to write the SVG chart (default: TRACE.svg here)" };
        var latency = new Option<string?>("--spawn-latency") { Description = "spawn latency model: fixed:SECONDS or lognormal:MEDIAN:SIGMA (default fixed:0.2)" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
        var simulate = new Command("simulate", "replay a trace through scaling policies and compare them") { simConfig, trace, policy, chart, latency, seed };
        simulate.SetAction(r => SimulateCommand.Run(r.GetValue(simConfig)!, r.GetValue(trace)!, r.GetValue(policy) ?? [], r.GetValue(chart), r.GetValue(latency), r.GetValue(seed)));

        var reference = new Command("config-reference", "print the tables of config directives and options (as in the README)") { Hidden = true };
        reference.SetAction(_ =>
        {
            Console.Write(Pm.Config.ConfigReference.DirectivesMarkdown() + "\n" + Pm.Config.ConfigReference.OptionsMarkdown());
            return ExitCodes.Ok;
        });

        Command Control(string name, string description, Argument<string>? app = null)
        {
            var config = new Option<string?>("--config", "-c") { HelpName = "CONFIG", Description = "find the PM through this config's IPC dir (default: $PM_CONFIG, else the default IPC dir)" };
            var ipc = new Option<string?>("--ipc-dir") { HelpName = "DIR", Description = "the PM's IPC dir" };
            var command = new Command(name, description) { config, ipc };
            if (app is not null)
            {
                command.Add(app);
            }

            command.SetAction((r, _) => ControlCommand.RunAsync(app is null ? name : $"{name} {r.GetValue(app)}", r.GetValue(config), r.GetValue(ipc)));
            return command;
        }

        var reload = Control("reload", "re-read the running PM's config (as SIGHUP does): added apps start, removed ones drain, changed ones roll over, new instance first; a config with errors changes nothing");
        var restart = Control("restart", "roll one static app's instances over, one at a time, new one first", new Argument<string>("app") { Description = "the app's path, as pm status names it" });
        var stop = Control("stop", "stop the running PM and every app, as SIGTERM does");

        var man = new Command("man", "print the man page pm(8) as troff source (the packages install it)") { Hidden = true };

        var root = new RootCommand(Summary) { run, serve, WebCommand.Create(), check, status, reload, restart, stop, request, simulate, reference, man };
        man.SetAction(_ => { Console.Write(ManPage.Render(root)); return ExitCodes.Ok; });
        return root;
    }
}
