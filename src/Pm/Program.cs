using System.CommandLine;
using Pm.Cli;

namespace Pm;

/// <summary>The pm command line. Each command lives in Cli/ and returns an exit code from <see cref="ExitCodes"/>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["run" or "serve", ..] && !args.Contains("--help") && !args.Contains("-h"))
        {
            if (!Hosting.Watchdog.IsCore)
            {
                // The daemon modes run as a watchdog above the real PM, so that nothing outlives it.
                return Hosting.Watchdog.Run(args);
            }

            QuietThreadPool();
        }

        var config = new Argument<string>("config") { Description = "the config file (mod_fastcgi directives)" };
        var record = new Option<string?>("--record-trace") { Description = "write every request the web processes report to this trace file (for pm simulate)" };
        var run = new Command("run", "run the PM in the foreground: start every static app and keep it running") { config, record };
        run.SetAction((r, _) => RunCommand.RunAsync(r.GetValue(config)!, new Hosting.DaemonMode(false, r.GetValue(record))));

        var serveConfig = new Argument<string>("config") { Description = "the config file" };
        var serveRecord = new Option<string?>("--record-trace") { Description = "write every request the web processes report to this trace file (for pm simulate)" };
        var serve = new Command("serve", "run the PM and its web processes: HTTP on PmListen (default 127.0.0.1:8080) to the apps") { serveConfig, serveRecord };
        serve.SetAction((r, _) => RunCommand.RunAsync(r.GetValue(serveConfig)!, new Hosting.DaemonMode(true, r.GetValue(serveRecord))));

        var requestKind = new Argument<string>("kind") { Description = "start, more, done or changed (mod_fastcgi's S, T, C and R records)" };
        var requestPath = new Argument<string>("path") { Description = "the dynamic app's path" };
        var requestConfig = new Option<string?>("--config", "-c") { Description = "find the queue through this config's IPC dir" };
        var requestIpc = new Option<string?>("--ipc-dir") { Description = "the PM's IPC dir" };
        var request = new Command("request", "write one record to the PM's queue, as a web process would") { requestKind, requestPath, requestConfig, requestIpc };
        request.SetAction(r => RequestCommand.Run(r.GetValue(requestKind)!, r.GetValue(requestPath)!, r.GetValue(requestConfig), r.GetValue(requestIpc)));

        var checkFile = new Argument<string>("config") { Description = "the config file to check" };
        var check = new Command("check-config", "report every error in a config without starting anything") { checkFile };
        check.SetAction(r => CheckConfigCommand.Run(r.GetValue(checkFile)!));

        var statusConfig = new Option<string?>("--config", "-c") { Description = "find the PM through this config's IPC dir (default: $PM_CONFIG, else the default IPC dir)" };
        var statusIpc = new Option<string?>("--ipc-dir") { Description = "the PM's IPC dir" };
        var json = new Option<bool>("--json") { Description = "print JSON for scripts" };
        var status = new Command("status", "show a running PM's apps and instances") { statusConfig, statusIpc, json };
        status.SetAction((r, _) => StatusCommand.RunAsync(r.GetValue(statusConfig), r.GetValue(statusIpc), r.GetValue(json)));

        var simConfig = new Option<string>("--config", "-c") { Description = "the config whose policies and timeouts to use", Required = true };
        var trace = new Option<string>("--trace", "-t") { Description = "a trace file (see examples/traces/README.md)", Required = true };
        var policy = new Option<string[]>("--policy", "-p") { Description = "a policy to run, e.g. demand or classic:maxClassProcesses=20 (repeatable; default: the config's and all three)", AllowMultipleArgumentsPerToken = false };
        var chart = new Option<string?>("--chart") { Description = "where to write the SVG chart (default: TRACE.svg here)" };
        var latency = new Option<string?>("--spawn-latency") { Description = "spawn latency model: fixed:SECONDS or lognormal:MEDIAN:SIGMA (default fixed:0.2)" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
        var simulate = new Command("simulate", "replay a trace through scaling policies and compare them") { simConfig, trace, policy, chart, latency, seed };
        simulate.SetAction(r => SimulateCommand.Run(r.GetValue(simConfig)!, r.GetValue(trace)!, r.GetValue(policy) ?? [], r.GetValue(chart), r.GetValue(latency), r.GetValue(seed)));

        var reference = new Command("config-reference", "print the table of config options (as in the README)") { Hidden = true };
        reference.SetAction(_ => { Console.Write(Pm.Config.ConfigReference.OptionsMarkdown()); return ExitCodes.Ok; });

        Command Control(string name, string description, Argument<string>? app = null)
        {
            var config = new Option<string?>("--config", "-c") { Description = "find the PM through this config's IPC dir (default: $PM_CONFIG, else the default IPC dir)" };
            var ipc = new Option<string?>("--ipc-dir") { Description = "the PM's IPC dir" };
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

        var root = new RootCommand("pm: a FastCGI process manager") { run, serve, WebCommand.Create(), check, status, reload, restart, stop, request, simulate, reference };
        // No ProcessTerminationTimeout: System.CommandLine would otherwise take SIGTERM and exit after 2 s,
        // cutting the PM's own graceful shutdown short.
        return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>
    /// The daemon's thread-pool workers block at once when they run out of work instead of spinning for more
    /// (sched_yield in a loop): the PM wakes for every queue record, thousands a second under load, and on 2 cores
    /// the spinning took a third of a core from the apps and the web process (42,000 sched_yield calls in 3 s; the
    /// PM's CPU fell from 32 % to 21 % of a core at c=64 without it). Set before the pool first runs, which reads it
    /// once. Web processes keep the default: their latency gains from the spin.
    /// </summary>
    private static void QuietThreadPool()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is null)
        {
            AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0);
        }
    }
}
