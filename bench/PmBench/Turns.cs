namespace Pm.Bench;

/// <summary>
/// Stacks measured at one point in turns, so that a machine that slows down for a while slows them all (a VM's
/// neighbours moved one stack's figures by 20-40 % from one run to the next): each turn runs wrk once on every URL,
/// the first two swapping places every other turn so that neither always runs after the other. Every stack's runs
/// come back, in the order of the URLs.
/// </summary>
public static class Turns
{
    /// <param name="afterRun">Awaited after each run with its URL (a stack that must let go of something first).</param>
    public static async Task<List<Wrk.Result>[]> RunAsync(
        IReadOnlyList<string> urls, int connections, int seconds, int turns, Func<string, Task>? afterRun = null, CancellationToken cancel = default)
    {
        var runs = urls.Select(_ => new List<Wrk.Result>()).ToArray();
        for (var turn = 0; turn < turns; turn++)
        {
            foreach (var i in Order(turn, urls.Count))
            {
                runs[i].Add(await Wrk.RunAsync(urls[i], connections, seconds, cancel));
                if (afterRun is not null)
                {
                    await afterRun(urls[i]);
                }
            }
        }

        return runs;
    }

    /// <summary>The order of <paramref name="count"/> stacks in turn <paramref name="turn"/>: the first two swap places every other turn.</summary>
    public static int[] Order(int turn, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (turn % 2 == 1 && count > 1)
        {
            (order[0], order[1]) = (order[1], order[0]);
        }

        return order;
    }
}
