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

        // No ProcessTerminationTimeout: System.CommandLine would otherwise take SIGTERM and exit after 2 s,
        // cutting the PM's own graceful shutdown short.
        return PmCommandLine.Build().Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
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
