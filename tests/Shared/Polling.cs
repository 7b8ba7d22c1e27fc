using System.Diagnostics;

namespace Pm.TestSupport;

/// <summary>
/// The one way a test waits for a state that raises no event of its own (a counter, a file's size, the PM's status,
/// the process table): poll a condition until it holds or the timeout passes. Where an event exists (a log line, a
/// record, a process exit), await that instead. Linked into each test project from tests/Shared, so the test projects
/// stay independent of one another.
/// </summary>
/// <remarks>
/// The condition is always evaluated at least once, and once more at or after the timeout, so a zero timeout is a
/// single look. Time is measured with <see cref="Stopwatch"/> (monotonic): a wall-clock step cannot end a wait early
/// or stretch it.
/// </remarks>
internal static class Polling
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Returns once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/> naming <paramref name="awaited"/> if it does not within <paramref name="timeout"/>.</summary>
    public static Task WaitUntil(Func<bool> condition, TimeSpan timeout, string awaited, TimeSpan? interval = null) =>
        WaitUntil(() => Task.FromResult(condition()), timeout, awaited, interval);

    /// <inheritdoc cref="WaitUntil(Func{bool}, TimeSpan, string, TimeSpan?)"/>
    public static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string awaited, TimeSpan? interval = null)
    {
        if (!await TryWaitUntil(condition, timeout, interval))
        {
            throw new TimeoutException($"{awaited}: not within {timeout.TotalSeconds:0.###} s");
        }
    }

    /// <summary>
    /// As <see cref="WaitUntil(Func{bool}, TimeSpan, string, TimeSpan?)"/>, but says false instead of throwing, for
    /// callers that report what is left themselves (leftover processes, the last assertion's own message).
    /// </summary>
    public static Task<bool> TryWaitUntil(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        TryWaitUntil(() => Task.FromResult(condition()), timeout, interval);

    /// <inheritdoc cref="TryWaitUntil(Func{bool}, TimeSpan, TimeSpan?)"/>
    public static async Task<bool> TryWaitUntil(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (clock.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }
}
