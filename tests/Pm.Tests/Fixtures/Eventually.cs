using System.Diagnostics;

namespace Pm.Tests.Fixtures;

/// <summary>Waiting, bounded, for what real processes make true: a condition, or an app's instances all ready.</summary>
public static class Eventually
{
    public static Task Until(Func<bool> condition, TimeSpan timeout) => Until(() => Task.FromResult(condition()), timeout);

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not so within {timeout.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The app's instances once there are <paramref name="count"/> of them, all idle.</summary>
    public static async Task<IReadOnlyList<Pm.Status.InstanceStatus>> ReadyInstancesAsync(PmProcess pm, string app, int count, TimeSpan timeout)
    {
        IReadOnlyList<Pm.Status.InstanceStatus> instances = [];
        await Until(async () =>
        {
            instances = (await pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances;
            return instances.Count == count && instances.All(i => i.State == "idle");
        }, timeout);
        return instances;
    }
}
