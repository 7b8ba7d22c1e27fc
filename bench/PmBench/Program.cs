namespace Pm.Bench;

/// <summary>pm-bench BENCHMARK: runs one benchmark against real processes and prints its figures.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var which = args.Length > 0 ? args[0] : "";
        Console.Error.WriteLine($"pm-bench: pm under test is {BenchEnvironment.Pm} ({BenchEnvironment.PmKind})");
        switch (which)
        {
            case "restart":
                return await RestartLatencyBench.RunAsync(args.Skip(1).ToArray());
            case "frontend":
                return await FrontEndBench.RunAsync(args.Skip(1).ToArray());
            case "idle":
                return await IdleFootprintBench.RunAsync(args.Skip(1).ToArray());
            case "dynamic":
                return await DynamicBench.RunAsync(args.Skip(1).ToArray());
            case "peers":
                return await Peers.PeersBench.RunAsync(args.Skip(1).ToArray());
            case "memcost":
                return await MemoryCostBench.RunAsync(args.Skip(1).ToArray());
            case "rolling":
                return await RollingRestartBench.RunAsync(args.Skip(1).ToArray());
            case "frozen":
                return await FrozenBench.RunAsync(args.Skip(1).ToArray());
            case "fidelity":
                return await FidelityBench.RunAsync(args.Skip(1).ToArray());
            case "dispatch":
                return await DispatchBench.RunAsync(args.Skip(1).ToArray());
            case "memsample":
                return await MemorySampleBench.RunAsync(args.Skip(1).ToArray());
            default:
                Console.Error.WriteLine("usage: pm-bench restart [kills] | idle [instances] [seconds] | dynamic [cold-rounds] | frontend [seconds] | fidelity [--traces burst,spike,...] [--speed X] | peers [--quick] [--rounds N] [--seconds S] | frozen [rounds] | rolling [--seconds S] [--rounds N] | memcost [instances] [seconds] | memsample [instances] [rounds] | dispatch [--seconds S] [--fresh N]");
                return 2;
        }
    }
}
