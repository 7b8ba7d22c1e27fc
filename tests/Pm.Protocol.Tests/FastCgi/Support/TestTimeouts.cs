namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Upper bounds only: a passing test finishes long before them; they turn a hang into a failure.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(15);

    public const int TestMilliseconds = 60_000;

    public const int PeerTestMilliseconds = 120_000;
}
