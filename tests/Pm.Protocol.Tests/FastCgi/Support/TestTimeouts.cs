namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Upper bounds only: a passing test finishes long before them; they turn a hang into a failure.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(15);

    public const int TestMilliseconds = 60_000;

    public const int PeerTestMilliseconds = 120_000;
}

/// <summary>Upper-bound waits that say what was being waited for when they run out.</summary>
internal static class BoundedWaits
{
    public static async Task Within(this Task task, string what)
    {
        try
        {
            await task.WaitAsync(TestTimeouts.Operation);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{what}: not done within {TestTimeouts.Operation.TotalSeconds} s", e);
        }
    }

    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        await ((Task)task).Within(what);
        return await task;
    }
}
