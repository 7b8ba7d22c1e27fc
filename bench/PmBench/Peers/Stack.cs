using System.Diagnostics;

namespace Pm.Bench.Peers;

/// <summary>
/// One process of a stack: what to exec, how to stop it, and a file to wait for before the next one is started
/// (the pool's or php-fpm's socket, so the front end never starts against a socket that is not there yet).
/// </summary>
public sealed record StackStep(string Name, string File, string[] Args, int StopSignal, string? ThenWaitFor = null);

/// <summary>What a stack is made of: its steps in start order, the HTTP port it answers on, the path of its app.</summary>
public sealed record StackRecipe(string Name, int Port, string AppPath, IReadOnlyList<StackStep> Steps, string Files);

/// <summary>
/// A stack started fresh from its recipe: every step exec'd in order (each a <see cref="GroupedProcess"/> logging to
/// LOGS/NAME.log), the clock started right before the first exec. Disposing stops the processes in reverse order
/// (the front end before the pool behind it).
/// </summary>
public sealed class Stack : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);
    private readonly List<(GroupedProcess Process, int Signal)> processes = [];
    private long execAt;

    private Stack(StackRecipe recipe) => Recipe = recipe;

    public StackRecipe Recipe { get; }

    public int Port => Recipe.Port;

    /// <summary>The first step's process (the PM of a pm stack).</summary>
    public GroupedProcess Leader => processes[0].Process;

    public double MillisecondsSinceExec => Stopwatch.GetElapsedTime(execAt).TotalMilliseconds;

    public static async Task<Stack> StartAsync(StackRecipe recipe, string logDir, CancellationToken cancel)
    {
        var stack = new Stack(recipe);
        try
        {
            stack.execAt = Stopwatch.GetTimestamp();
            foreach (var step in recipe.Steps)
            {
                var process = GroupedProcess.Start(step.Name, step.File, step.Args, Path.Combine(logDir, $"{recipe.Name}.{step.Name}.log"));
                stack.processes.Add((process, step.StopSignal));
                if (step.ThenWaitFor is { } file)
                {
                    await WaitForFileAsync(file, process, TimeSpan.FromSeconds(30), cancel);
                }
            }

            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = processes.Count - 1; i >= 0; i--)
        {
            await processes[i].Process.StopAsync(processes[i].Signal, StopGrace);
        }

        processes.Clear();
    }

    private static async Task WaitForFileAsync(string path, GroupedProcess process, TimeSpan timeout, CancellationToken cancel)
    {
        var end = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!File.Exists(path))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited before {path} appeared (see its log)");
            }

            if (Stopwatch.GetTimestamp() > end)
            {
                throw new TimeoutException($"{path} did not appear within {timeout.TotalSeconds:0} s of starting {process.Name}");
            }

            await Task.Delay(1, cancel);
        }
    }
}
